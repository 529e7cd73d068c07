package wire

import (
	"errors"
	"time"
)

// Error is Tickwire's one error type: a failure with a code a client can act on (one of the
// Code constants) and a message a person can read. auth, the engine and the server return it;
// the server's edge (server/errors.go) turns it into an HTTP status and JSON body, an error
// frame, or a close code, by its code alone. It is also the error frame's payload, so a client
// decodes an error frame into the same type.
//
// An error without a code (any other error) is internal: the edge logs it and shows the code
// internal with a generic message.
type Error struct {
	Code    string `msgpack:"code"`
	Message string `msgpack:"message"`
	// RetryAfter, when above zero, is how many seconds a client should wait before asking
	// again (with code rate_limited or unavailable): Retry-After over HTTP, retry_after in a
	// frame.
	RetryAfter int64 `msgpack:"retry_after,omitempty"`
	// URL and Join go with code moved: the socket endpoint (ws:// or wss://) of the node that
	// hosts the lobby, and the join payload to send there.
	URL  string `msgpack:"url,omitempty"`
	Join *Join  `msgpack:"join,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error of code and message.
func Errorf(code, message string) *Error { return &Error{Code: code, Message: message} }

// ErrorCode returns the code of the *Error that err is or wraps, or CodeInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err is or wraps an *Error of code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// RetrySeconds is a wait as the whole seconds of a retry-after, rounded up and at least 1, so
// that a client that waits as told is not refused again for a fraction of a second.
func RetrySeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}
