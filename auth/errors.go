package auth

import "errors"

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

// Errors shared by callers that compare against them.
var (
	ErrInvalidCredentials = errorf(CodeInvalidCredentials, "unknown username or wrong password")
	ErrUsernameTaken      = errorf(CodeUsernameTaken, "that username is taken")
	ErrAccountDisabled    = errorf(CodeAccountDisabled, "this account is disabled")
	ErrNotFound           = errorf(CodeNotFound, "no such account")
)
