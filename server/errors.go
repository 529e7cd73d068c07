package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
)

// The edge: the one place where an error's code becomes what a client sees. auth, auth/oidc,
// the engine and the server's own handlers return *wire.Error values; the edge maps each code
// to an HTTP status and the JSON body {"error","message"} (httpErrorHandler), to an error
// frame (errorFrame), and, for the codes that end a socket, to a close code (closeCodeOf). An
// error without a code is internal: it is logged and shown as generic.

// outcome is what the edge sends for one error code.
type outcome struct {
	// status is the HTTP status of a request refused with the code.
	status int
	// close is the close code of a socket ended for the code; zero for a code that answers a
	// request and leaves the socket open.
	close int
}

// outcomes holds every code of wire's vocabulary (TestEveryCodeHasAnOutcome checks it). An
// error frame may carry any code, with the same message as an HTTP body.
var outcomes = map[string]outcome{
	wire.CodeInvalidRequest:      {status: http.StatusBadRequest},
	wire.CodeUnknownType:         {status: http.StatusBadRequest},
	wire.CodeNotFound:            {status: http.StatusNotFound},
	wire.CodeLobbyFull:           {status: http.StatusBadRequest},
	wire.CodeNotInLobby:          {status: http.StatusBadRequest},
	wire.CodeAlreadyInLobby:      {status: http.StatusBadRequest},
	wire.CodeForbidden:           {status: http.StatusForbidden},
	wire.CodeInvalidCredentials:  {status: http.StatusUnauthorized},
	wire.CodeInvalidToken:        {status: http.StatusUnauthorized},
	wire.CodeTokenExpired:        {status: http.StatusUnauthorized, close: wire.CloseTokenExpired},
	wire.CodeTokenRevoked:        {status: http.StatusUnauthorized, close: wire.CloseRevoked},
	wire.CodeWrongAccount:        {status: http.StatusBadRequest},
	wire.CodeAccountDisabled:     {status: http.StatusForbidden, close: wire.CloseRevoked},
	wire.CodeUsernameTaken:       {status: http.StatusConflict},
	wire.CodeRateLimited:         {status: http.StatusTooManyRequests},
	wire.CodeRefused:             {status: http.StatusBadRequest},
	wire.CodeLobbyClosed:         {status: http.StatusBadRequest},
	wire.CodeMoved:               {status: http.StatusBadRequest},
	wire.CodeInternal:            {status: http.StatusInternalServerError},
	wire.CodeUnavailable:         {status: http.StatusServiceUnavailable},
	wire.CodeNotReady:            {status: http.StatusServiceUnavailable},
	wire.CodeShuttingDown:        {status: http.StatusServiceUnavailable, close: wire.CloseGoingAway},
	wire.CodeTooManyConnections:  {status: http.StatusTooManyRequests},
	wire.CodeOriginNotAllowed:    {status: http.StatusForbidden},
	wire.CodeMethodNotAllowed:    {status: http.StatusMethodNotAllowed},
	wire.CodePayloadTooLarge:     {status: http.StatusRequestEntityTooLarge},
	wire.CodeRegistrationClosed:  {status: http.StatusForbidden},
	wire.CodeInviteRequired:      {status: http.StatusForbidden},
	wire.CodeInviteInvalid:       {status: http.StatusForbidden},
	wire.CodeOIDCState:           {status: http.StatusBadRequest},
	wire.CodeOIDCDenied:          {status: http.StatusUnauthorized},
	wire.CodeOIDCFailed:          {status: http.StatusUnauthorized},
	wire.CodeIdentityTaken:       {status: http.StatusConflict},
	wire.CodeLastLoginMethod:     {status: http.StatusConflict},
	wire.CodeProviderUnavailable: {status: http.StatusServiceUnavailable},
}

// genericInternal is what a client sees of an error that carries no code.
var genericInternal = wire.Error{Code: wire.CodeInternal, Message: "internal error"}

// clientError returns err as a client should see it: the *wire.Error it is or wraps, or, for an
// error without a code, the generic internal error. internal reports whether it is to be
// logged: a coded internal error and every uncoded one.
func clientError(err error) (e wire.Error, internal bool) {
	var we *wire.Error
	if !errors.As(err, &we) {
		return genericInternal, true
	}
	return *we, we.Code == wire.CodeInternal
}

func apiErr(code, msg string) *wire.Error { return wire.Errorf(code, msg) }

// apiError is the JSON body of every HTTP error.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// httpErrorHandler writes every error of a route as {"error","message"} with its status, and a
// Retry-After when the error carries a wait.
func (s *Server) httpErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var e wire.Error
	var status int
	var he *echo.HTTPError
	if errors.As(err, &he) {
		e, status = echoError(he)
	} else {
		var internal bool
		e, internal = clientError(err)
		if internal {
			s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		status = statusOf(e.Code)
	}
	if c.Request().Method == http.MethodHead {
		if e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.FormatInt(e.RetryAfter, 10))
		}
		_ = c.NoContent(status)
		return
	}
	writeError(c.Response(), status, e)
}

// writeError writes e as an HTTP error body with status, and its wait as Retry-After.
func writeError(w http.ResponseWriter, status int, e wire.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(e.RetryAfter, 10))
	}
	w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: e.Code, Message: e.Message})
}

// statusOf is the HTTP status of code; a code without an outcome (none, as the test checks)
// would be a bad request.
func statusOf(code string) int {
	if o, ok := outcomes[code]; ok {
		return o.status
	}
	return http.StatusBadRequest
}

// echoError is the error of a request Echo refused itself (no route, a body too large...),
// under the code of its status.
func echoError(he *echo.HTTPError) (wire.Error, int) {
	switch he.Code {
	case http.StatusNotFound:
		return wire.Error{Code: wire.CodeNotFound, Message: "no such endpoint"}, he.Code
	case http.StatusMethodNotAllowed:
		return wire.Error{Code: wire.CodeMethodNotAllowed, Message: "method not allowed"}, he.Code
	case http.StatusRequestEntityTooLarge:
		return wire.Error{Code: wire.CodePayloadTooLarge, Message: "request body too large"}, he.Code
	case http.StatusTooManyRequests:
		return wire.Error{Code: wire.CodeRateLimited, Message: "too many requests"}, he.Code
	}
	return wire.Error{Code: wire.CodeInvalidRequest, Message: http.StatusText(he.Code)}, he.Code
}

// errorFrame is the error frame that answers a socket's request that failed with err. On a
// socket, an error without a code comes from reading the request (a payload of the wrong
// shape), so it is an invalid request with its text; a lobby that did not answer in time is
// internal.
func errorFrame(log *slog.Logger, account string, err error) wire.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		err = wire.Errorf(wire.CodeInternal, "the lobby did not answer in time")
	}
	var we *wire.Error
	if !errors.As(err, &we) {
		return wire.Error{Code: wire.CodeInvalidRequest, Message: err.Error()}
	}
	e, internal := clientError(err)
	if internal {
		log.Error("socket request failed", "account", account, "err", err)
	}
	return e
}

// closeCodeOf is the close code of a socket ended for err, by its code; wire.ClosePolicy for a code
// that has none of its own.
func closeCodeOf(err error) int {
	if o := outcomes[wire.ErrorCode(err)]; o.close != 0 {
		return o.close
	}
	return wire.ClosePolicy
}
