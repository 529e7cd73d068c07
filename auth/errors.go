package auth

import "github.com/tickwire/tickwire/server/wire"

// auth's failures are *wire.Error values: the protocol's one error type, whose codes
// server/wire declares and whose mapping to HTTP statuses and close codes is the server's.

func errorf(code, msg string) *wire.Error { return wire.Errorf(code, msg) }

// Errors shared by callers that compare against them. They are values shared by every caller:
// never modify one.
var (
	ErrInvalidCredentials = errorf(wire.CodeInvalidCredentials, "unknown username or wrong password")
	ErrUsernameTaken      = errorf(wire.CodeUsernameTaken, "that username is taken")
	ErrAccountDisabled    = errorf(wire.CodeAccountDisabled, "this account is disabled")
	ErrNotFound           = errorf(wire.CodeNotFound, "no such account")
	ErrTokenRevoked       = errorf(wire.CodeTokenRevoked, "token revoked")
	ErrSessionEnded       = errorf(wire.CodeTokenRevoked, "the session has ended")
	ErrRefreshReused      = errorf(wire.CodeTokenRevoked, "refresh token already used; the session has ended")
	ErrSessionTooOld      = errorf(wire.CodeTokenExpired, "the session has reached its maximum age; sign in again")
)

// Token refusals, allocated once: refusing a hostile token must cost no allocation beyond the
// parse itself.
var (
	errNoToken        = errorf(wire.CodeInvalidToken, "no token")
	errTokenTooLong   = errorf(wire.CodeInvalidToken, "token too long")
	errTokenMalformed = errorf(wire.CodeInvalidToken, "token malformed")
	errTokenExpired   = errorf(wire.CodeTokenExpired, "token expired")
	errWrongTypeCode  = errorf(wire.CodeInvalidToken, "wrong token type")
	errUnknownKey     = errorf(wire.CodeInvalidToken, "unknown signing key")
	errBadSignature   = errorf(wire.CodeInvalidToken, "bad signature")
	errNotYetValid    = errorf(wire.CodeInvalidToken, "token not valid yet")
	errTokenInvalid   = errorf(wire.CodeInvalidToken, "token invalid")
	errMissingClaim   = errorf(wire.CodeInvalidToken, "token lacks a required claim")
	errCritHeader     = errorf(wire.CodeInvalidToken, "token has a critical header this server does not understand")
)
