package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
)

// sameSiteOnly guards the endpoints that read or set the refresh cookie (login, guest, refresh,
// logout) against cross-site requests. The cookie is SameSite=Strict, so another site's page
// never sends it, but a form posted from there still gets an answer, and the answer's
// Set-Cookie would replace the player's session with one of the attacker's choosing (a new
// guest, or the attacker's own account), or end it.
//
// A browser names the page that sent a request in Origin (every cross-origin POST carries it),
// and modern browsers add Sec-Fetch-Site. A request is refused with 403 forbidden when its
// Origin is present and is neither the server's own origin nor one of --origins, or, without
// an Origin, when Sec-Fetch-Site says another site or origin sent it. Requests with neither
// header (bots, native clients, curl) are not browsers' and pass.
func (s *Server) sameSiteOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.fromOwnSite(c.Request()) {
			return apiErr(wire.CodeForbidden, "this request came from another site's page")
		}
		return next(c)
	}
}

// fromOwnSite reports whether r's browser, if it is one, says the request came from one of
// the server's own pages or an origin in --origins (of the game node that forwarded r, if one
// did).
func (s *Server) fromOwnSite(r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		origins := s.cfg.Origins
		if f, ok := cluster.ForwardedBy(r.Context()); ok {
			origins = f.Origins // the game node's, where the browser is
		}
		return slices.Contains(origins, strings.TrimSuffix(origin, "/")) || s.isOwnOrigin(r, origin)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none": // none: the user typed the address or followed a bookmark
		return true
	}
	return false
}

// isOwnOrigin reports whether origin is the origin r was sent to: the scheme the client used
// (requestScheme, so a TLS proxy in --trusted-proxies counts) and r's Host.
func (s *Server) isOwnOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return false
	}
	return u.Scheme == s.requestScheme(r) && strings.EqualFold(u.Host, r.Host)
}
