package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type tokenPair struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

// refreshCookie is the browser's copy of the refresh token: HttpOnly, SameSite=Strict, and
// sent only to the auth endpoints.
const refreshCookie = "tickwire_refresh"

func bind(c echo.Context, v any) error {
	if err := c.Bind(v); err != nil {
		return apiErr(wire.CodeInvalidRequest, "the body must be a JSON object of the documented fields")
	}
	return nil
}

func (s *Server) handleRegister(c echo.Context) error {
	var req credentials
	if err := bind(c, &req); err != nil {
		return err
	}
	a, err := s.auth.Register(c.Request().Context(), req.Username, req.Password, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"id": a.ID, "username": a.Username})
}

// handleLogin charges the login throttle (throttle.go) before the password is checked, and
// gives the charge back unless the password was wrong.
func (s *Server) handleLogin(c echo.Context) error {
	var req credentials
	if err := bind(c, &req); err != nil {
		return err
	}
	addr := clientKey(c.RealIP())
	charge, wait := s.throttle.begin(req.Username, addr, s.now())
	if wait > 0 {
		return &wire.Error{Code: wire.CodeRateLimited, Message: "too many failed logins; try again later", RetryAfter: wire.RetrySeconds(wait)}
	}
	p, err := s.auth.Login(c.Request().Context(), req.Username, req.Password)
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return err // the charge stays
	case err != nil:
		s.throttle.refund(charge, s.now())
		return err
	}
	s.throttle.succeed(charge, req.Username, addr, s.now())
	return s.sendPair(c, p)
}

func (s *Server) handleGuest(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
	}
	if c.Request().ContentLength != 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	p, err := s.auth.Guest(c.Request().Context(), strings.TrimSpace(req.Name))
	if err != nil {
		return err
	}
	return s.sendPair(c, p)
}

func (s *Server) handleRefresh(c echo.Context) error {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if c.Request().ContentLength != 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	fromCookie := false
	if req.RefreshToken == "" {
		if ck, err := c.Cookie(refreshCookie); err == nil && ck.Value != "" {
			req.RefreshToken, fromCookie = ck.Value, true
		}
	}
	if req.RefreshToken == "" {
		return apiErr(wire.CodeInvalidRequest, "refresh_token is required (in the body or the cookie)")
	}
	p, err := s.auth.RefreshFrom(c.Request().Context(), req.RefreshToken, clientKey(c.RealIP()))
	if err != nil {
		if fromCookie && wire.ErrorCode(err) != wire.CodeInternal && wire.ErrorCode(err) != wire.CodeRateLimited {
			// The cookie holds a token that will never work again: drop it.
			s.clearRefreshCookie(c)
		}
		return err
	}
	s.seen(c.Request().Context(), p.Account)
	return s.sendPair(c, p)
}

// setRefreshCookie gives a browser its copy of the refresh token: HttpOnly so scripts never
// see it, SameSite=Strict so no other site's page sends it, Secure when the client reached us
// over HTTPS (directly, or through a proxy in --trusted-proxies that says so: anyone else's
// X-Forwarded-Proto is ignored, as everywhere else), and sent to the auth endpoints only.
func (s *Server) setRefreshCookie(c echo.Context, value string, expires time.Time, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: refreshCookie, Value: value, Path: "/api/v1/auth", Expires: expires, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.requestScheme(c.Request()) == "https",
	})
}

func (s *Server) clearRefreshCookie(c echo.Context) { s.setRefreshCookie(c, "", time.Time{}, -1) }

func (s *Server) sendPair(c echo.Context, p auth.Pair) error {
	// Lifetimes count from the tokens' iat, the second they were issued in, so that they are
	// exactly the configured TTLs.
	now := p.Access.Claims.IssuedAt.Time
	refreshExp := p.Refresh.Claims.ExpiresAt.Time
	s.setRefreshCookie(c, p.Refresh.Token, refreshExp, int(refreshExp.Sub(now)/time.Second))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, tokenPair{
		AccessToken:      p.Access.Token,
		RefreshToken:     p.Refresh.Token,
		TokenType:        "Bearer",
		ExpiresIn:        int64(p.Access.Claims.ExpiresAt.Sub(now) / time.Second),
		RefreshExpiresIn: int64(refreshExp.Sub(now) / time.Second),
	})
}

func (s *Server) handleLogout(c echo.Context) error {
	if err := s.auth.Logout(c.Request().Context(), claimsOf(c)); err != nil {
		return err
	}
	s.clearRefreshCookie(c)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleMe(c echo.Context) error {
	a, err := s.auth.Me(c.Request().Context(), claimsOf(c))
	if err != nil {
		return err
	}
	scopes := a.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	ids, err := s.identitiesOf(c.Request().Context(), a.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": a.ID, "username": a.Username, "scopes": scopes, "guest": a.Guest, "identities": ids})
}

func (s *Server) handleJWKS(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSONBlob(http.StatusOK, s.auth.Tokens.Keys.JWKS())
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requireToken checks the request's access token and, when scope is set, that it grants scope.
func (s *Server) requireToken(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			raw := bearer(c.Request())
			if raw == "" {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="tickwire"`)
				return apiErr(wire.CodeInvalidToken, "an Authorization: Bearer access token is required")
			}
			claims, err := s.auth.VerifyAccess(raw)
			if err != nil {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="tickwire", error="invalid_token"`)
				return err
			}
			if scope != "" && !claims.HasScope(scope) {
				return apiErr(wire.CodeForbidden, "this needs the "+scope+" scope")
			}
			c.Set("claims", claims)
			return next(c)
		}
	}
}

func claimsOf(c echo.Context) *auth.Claims { return c.Get("claims").(*auth.Claims) }
