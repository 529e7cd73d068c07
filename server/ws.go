package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
	"golang.org/x/time/rate"
)

// socketToken finds the access token of an upgrade request: the Authorization header, then a
// bearer.<jwt> subprotocol entry, then the token query parameter.
func socketToken(r *http.Request) string {
	if t := bearer(r); t != "" {
		return t
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if p = strings.TrimSpace(p); strings.HasPrefix(p, wire.BearerPrefix) {
				return p[len(wire.BearerPrefix):]
			}
		}
	}
	return r.URL.Query().Get("token")
}

// originAllowed checks a browser's Origin against --origins exactly, or, when that is unset,
// against the server's own origin. Requests without an Origin (bots) pass.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(s.cfg.Origins) > 0 {
		return slices.Contains(s.cfg.Origins, origin)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" && u.Path != "/" {
		return false
	}
	return u.Scheme == s.requestScheme(r) && strings.EqualFold(u.Host, r.Host)
}

// refuse answers an upgrade request with a plain HTTP error, before any upgrade.
func (s *Server) refuse(c echo.Context, reason string, err error) error {
	s.metrics.refusals.WithLabelValues(reason).Inc()
	return err
}

func (s *Server) handleWS(c echo.Context) error {
	r := c.Request()
	if s.shuttingDown.Load() {
		return s.refuse(c, "shutting_down", apiErr("shutting_down", "the server is shutting down"))
	}
	if !s.originAllowed(r) {
		return s.refuse(c, "origin", apiErr("origin_not_allowed", "this page's origin may not open sockets here"))
	}
	raw := socketToken(r)
	if raw == "" {
		return s.refuse(c, "no_token", apiErr(auth.CodeInvalidToken, "an access token is required"))
	}
	claims, err := s.auth.VerifyAccess(raw)
	if err != nil {
		return s.refuse(c, auth.ErrorCode(err), err)
	}
	if !claims.HasScope(auth.ScopePlay) {
		return s.refuse(c, "scope", apiErr(auth.CodeForbidden, "this token lacks the play scope"))
	}
	cn := &conn{
		srv:       s,
		addr:      c.RealIP(),
		accountID: claims.Subject,
		username:  claims.Name,
		sid:       claims.SID,
		exp:       claims.ExpiresAt.Time,
		iat:       claims.IssuedAt.Time,
		limiter:   rate.NewLimiter(rate.Limit(s.cfg.MsgRate), s.cfg.MsgBurst),
	}
	if limit := s.conns.admit(cn, &s.cfg); limit != "" {
		return s.refuse(c, "limit_"+limit, apiErr("too_many_connections", "too many open sockets for this "+limit))
	}
	ws, err := s.upgrader.Upgrade(c.Response(), r, nil)
	if err != nil {
		// The upgrader has already answered with an HTTP error.
		s.conns.remove(cn)
		s.metrics.refusals.WithLabelValues("handshake").Inc()
		return nil
	}
	cn.ws = ws
	// The handler returns at once, so net/http's goroutine and its request are freed; a fresh
	// goroutine with a small stack reads for the socket's whole life.
	go cn.run()
	return nil
}
