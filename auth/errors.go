package auth

import (
	"errors"
	"time"
)

// Error codes, as the HTTP API and error frames name them.
const (
	CodeInvalidRequest     = "invalid_request"
	CodeInvalidCredentials = "invalid_credentials"
	CodeInvalidToken       = "invalid_token"
	CodeTokenExpired       = "token_expired"
	CodeTokenRevoked       = "token_revoked"
	CodeForbidden          = "forbidden"
	CodeAccountDisabled    = "account_disabled"
	CodeUsernameTaken      = "username_taken"
	CodeRateLimited        = "rate_limited"
	CodeNotFound           = "not_found"
	CodeInternal           = "internal"
)

// Error is a failure with a code a client can act on and a message a person can read.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when above zero, is how long a client should wait before trying again; the
	// HTTP layer sends it as Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode returns err's code, or CodeInternal for an error that carries none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

func errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Errors shared by callers that compare against them. They are values shared by every caller:
// never modify one.
var (
	ErrInvalidCredentials = errorf(CodeInvalidCredentials, "unknown username or wrong password")
	ErrUsernameTaken      = errorf(CodeUsernameTaken, "that username is taken")
	ErrAccountDisabled    = errorf(CodeAccountDisabled, "this account is disabled")
	ErrNotFound           = errorf(CodeNotFound, "no such account")
	ErrTokenRevoked       = errorf(CodeTokenRevoked, "token revoked")
	ErrSessionEnded       = errorf(CodeTokenRevoked, "the session has ended")
	ErrRefreshReused      = errorf(CodeTokenRevoked, "refresh token already used; the session has ended")
	ErrSessionTooOld      = errorf(CodeTokenExpired, "the session has reached its maximum age; sign in again")
)

// Token refusals, allocated once: refusing a hostile token must cost no allocation beyond the
// parse itself.
var (
	errNoToken        = errorf(CodeInvalidToken, "no token")
	errTokenTooLong   = errorf(CodeInvalidToken, "token too long")
	errTokenMalformed = errorf(CodeInvalidToken, "token malformed")
	errTokenExpired   = errorf(CodeTokenExpired, "token expired")
	errWrongTypeCode  = errorf(CodeInvalidToken, "wrong token type")
	errUnknownKey     = errorf(CodeInvalidToken, "unknown signing key")
	errBadSignature   = errorf(CodeInvalidToken, "bad signature")
	errNotYetValid    = errorf(CodeInvalidToken, "token not valid yet")
	errTokenInvalid   = errorf(CodeInvalidToken, "token invalid")
	errMissingClaim   = errorf(CodeInvalidToken, "token lacks a required claim")
	errCritHeader     = errorf(CodeInvalidToken, "token has a critical header this server does not understand")
)
