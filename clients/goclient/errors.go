package goclient

import (
	"errors"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// Why a connection ended, for errors.Is. A *CloseError from the server matches the one its code
// names; a refused dial or refresh whose answer means the same matches it too.
var (
	// ErrExpired: the access token expired without a reauth (close 4001), or the server found
	// it expired. A Conn made by Connect refreshes and reconnects after it.
	ErrExpired = errors.New("tickwire: token expired without reauth")
	// ErrRevoked: the session was ended by logout, ban or refresh-token reuse (close 4003), or
	// the server refuses the account's tokens.
	ErrRevoked = errors.New("tickwire: session revoked")
	// ErrPolicy: the server closed the socket for breaking a rule: message rate, a malformed
	// frame, or reading too slowly (close 4008).
	ErrPolicy = errors.New("tickwire: closed for breaking the server's policy")
	// ErrGoingAway: the server is shutting down (close 1001). A Conn made by Connect reconnects
	// after it.
	ErrGoingAway = errors.New("tickwire: server going away")
	// ErrConnectionLost: the socket dropped while a request waited for its reply. The request may
	// or may not have taken effect. A Conn made by Connect is reconnecting; SendInput returns it
	// while there is no socket.
	ErrConnectionLost = errors.New("tickwire: connection lost")
	// ErrClosed: the Conn was closed by its owner, or has ended.
	ErrClosed = errors.New("tickwire: connection closed")
	// ErrLobbyGone: the lobby a Conn made by Connect had joined by id or code, or created, no
	// longer exists when the connection comes back (its server restarted or its node died);
	// StatusRejoinFailed carries it, the error also matches ErrNotFound, and the connection
	// is in no lobby. A connection that quick-joined quick-joins again instead (StatusPlaced).
	ErrLobbyGone = errors.New("tickwire: the lobby is gone")
)

// CloseError reports why the server closed the socket: its close code and reason.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("tickwire: socket closed %d %s", e.Code, e.Reason)
}

// Is matches ErrExpired, ErrRevoked, ErrPolicy and ErrGoingAway by the close code.
func (e *CloseError) Is(target error) bool {
	switch target {
	case ErrExpired:
		return e.Code == wire.CloseTokenExpired
	case ErrRevoked:
		return e.Code == wire.CloseRevoked
	case ErrPolicy:
		return e.Code == wire.ClosePolicy
	case ErrGoingAway:
		return e.Code == wire.CloseGoingAway
	}
	return false
}

// ServerError is an error frame that answered a request. errors.Is matches it against the Err*
// values of type *ServerError below by code.
type ServerError struct {
	Code    string
	Message string
	// RetryAfter, for ErrRateLimited, is how long the server asked to wait before asking again.
	RetryAfter time.Duration
	// URL and Join, with code moved, are the socket endpoint of the node that hosts the lobby
	// and the join to send there (Conn.Join follows them on its own).
	URL  string
	Join *wire.Join
}

func (e *ServerError) Error() string { return "tickwire: " + e.Code + ": " + e.Message }

// Is reports whether target is a *ServerError with the same code.
func (e *ServerError) Is(target error) bool {
	t, ok := target.(*ServerError)
	return ok && t.Code == e.Code
}

// Request failures to test for with errors.Is; they match any error frame of their code.
var (
	ErrNotFound       = &ServerError{Code: wire.CodeNotFound, Message: "no such lobby"}
	ErrLobbyFull      = &ServerError{Code: wire.CodeLobbyFull, Message: "the lobby is full"}
	ErrNotInLobby     = &ServerError{Code: wire.CodeNotInLobby, Message: "not in a lobby"}
	ErrAlreadyInLobby = &ServerError{Code: wire.CodeAlreadyInLobby, Message: "already in a lobby"}
	ErrForbidden      = &ServerError{Code: wire.CodeForbidden, Message: "forbidden"}
	ErrInvalidRequest = &ServerError{Code: wire.CodeInvalidRequest, Message: "invalid request"}
	ErrRateLimited    = &ServerError{Code: wire.CodeRateLimited, Message: "rate limited"}
)

// Is maps HTTP API errors that end a session onto ErrExpired and ErrRevoked.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRevoked:
		return e.Code == wire.CodeTokenRevoked || e.Code == wire.CodeAccountDisabled
	case ErrExpired:
		return e.Code == wire.CodeTokenExpired
	}
	return false
}

// retryable reports whether a Conn made by Connect should reconnect after err ended its socket:
// the server going away or restarting, an internal error, a connection that simply broke, or a
// token that expired because a refresh failed (the reconnect refreshes first).
func retryable(err error) bool {
	var ce *CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case wire.CloseGoingAway, wire.CloseTokenExpired, wire.CloseAbnormal, wire.CloseInternalServer, 1012, 1013, 1014:
			return true
		}
		return false
	}
	return err != nil && !errors.Is(err, ErrClosed)
}
