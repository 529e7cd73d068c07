package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/game"
)

// apiError is the JSON body of every HTTP error.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// statusOf maps an error code to its HTTP status; every code the API returns is here.
var statusOf = map[string]int{
	auth.CodeInvalidRequest:      http.StatusBadRequest,
	auth.CodeInvalidCredentials:  http.StatusUnauthorized,
	auth.CodeInvalidToken:        http.StatusUnauthorized,
	auth.CodeTokenExpired:        http.StatusUnauthorized,
	auth.CodeTokenRevoked:        http.StatusUnauthorized,
	auth.CodeForbidden:           http.StatusForbidden,
	auth.CodeAccountDisabled:     http.StatusForbidden,
	auth.CodeUsernameTaken:       http.StatusConflict,
	auth.CodeRateLimited:         http.StatusTooManyRequests,
	auth.CodeNotFound:            http.StatusNotFound,
	"shutting_down":              http.StatusServiceUnavailable,
	CodeUnavailable:              http.StatusServiceUnavailable,
	"too_many_connections":       http.StatusTooManyRequests,
	"origin_not_allowed":         http.StatusForbidden,
	"method_not_allowed":         http.StatusMethodNotAllowed,
	"payload_too_large":          http.StatusRequestEntityTooLarge,
	CodeRegistrationClosed:       http.StatusForbidden,
	CodeInviteRequired:           http.StatusForbidden,
	CodeInviteInvalid:            http.StatusForbidden,
	oidc.CodeIdentityTaken:       http.StatusConflict,
	oidc.CodeLastLoginMethod:     http.StatusConflict,
	oidc.CodeProviderUnavailable: http.StatusServiceUnavailable,
	oidc.CodeFailed:              http.StatusUnauthorized,
	oidc.CodeState:               http.StatusBadRequest,
	oidc.CodeDenied:              http.StatusUnauthorized,
}

// codeOf returns an error's code and message as a client should see them; errors without a
// code are internal, logged and shown as generic.
func codeOf(err error) (string, string) {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Code, ae.Message
	}
	var ge *game.Error
	if errors.As(err, &ge) {
		return ge.Code, ge.Message
	}
	return auth.CodeInternal, "internal error"
}

func apiErr(code, msg string) *auth.Error { return &auth.Error{Code: code, Message: msg} }

// httpErrorHandler writes every error as {"error","message"} with its status.
func (s *Server) httpErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	code, msg := codeOf(err)
	status := http.StatusInternalServerError
	if errors.As(err, &he) {
		status = he.Code
		switch he.Code {
		case http.StatusNotFound:
			code, msg = "not_found", "no such endpoint"
		case http.StatusMethodNotAllowed:
			code, msg = "method_not_allowed", "method not allowed"
		case http.StatusRequestEntityTooLarge:
			code, msg = "payload_too_large", "request body too large"
		case http.StatusTooManyRequests:
			code, msg = auth.CodeRateLimited, "too many requests"
		default:
			code, msg = auth.CodeInvalidRequest, http.StatusText(he.Code)
		}
	} else if st, ok := statusOf[code]; ok {
		status = st
	} else if code == auth.CodeInternal {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	} else {
		status = http.StatusBadRequest
	}
	var ae *auth.Error
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(ae.RetryAfter), 10))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, apiError{Error: code, Message: msg})
}
