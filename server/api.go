package server

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/tickwire/tickwire/auth"
)

// routes is the route table of the HTTP API, the socket endpoint and the browser client, with
// the middleware every request passes through.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.httpErrorHandler
	e.IPExtractor = clientIP(s.cfg.TrustedProxies)
	e.Use(s.accessLog)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("16K"))
	e.Use(s.securityHeaders)
	if s.cfg.Role == RoleGame {
		e.Use(s.forwardToDatabase)
	}

	api := e.Group("/api/v1")
	api.POST("/auth/register", s.handleRegister, s.budgeted(s.registers, "too many sign-ups from your address; try again later"), s.registrationGate)
	api.POST("/auth/login", s.handleLogin, s.sameSiteOnly)
	api.POST("/auth/guest", s.handleGuest, s.sameSiteOnly, s.guestGate, s.budgeted(s.guests, "too many guest accounts from your address; try again later"))
	api.POST("/auth/refresh", s.handleRefresh, s.sameSiteOnly)
	api.POST("/auth/logout", s.handleLogout, s.sameSiteOnly, s.requireToken(""))
	api.GET("/me", s.handleMe, s.requireToken(""))
	api.GET("/auth/providers", s.handleProviders)
	api.GET("/auth/oidc/:name/start", s.handleOIDCStart)
	api.GET("/auth/oidc/:name/callback", s.handleOIDCCallback)
	api.POST("/auth/oidc/:name/token", s.handleOIDCToken, s.sameSiteOnly)
	api.POST("/me/identities/:name", s.handleLinkStart, s.sameSiteOnly, s.requireToken(""))
	api.DELETE("/me/identities/:name", s.handleUnlink, s.sameSiteOnly, s.requireToken(""))
	api.GET("/me/matches", s.handleMyMatches, s.requireToken(""), s.public.gate)
	// The lobby list comes from memory, bounded by --lobby-list-max: it takes no database slot,
	// so a flood of leaderboard reads never hides the lobbies from players.
	api.GET("/lobbies", s.handleLobbies, s.requireToken(""))
	api.GET("/games", s.handleGames, s.requireToken(""))
	api.GET("/leaderboard", s.handleLeaderboard, s.public.gate)
	api.POST("/admin/accounts/:username/ban", s.handleBan(true), s.requireToken(auth.ScopeAdmin))
	api.POST("/admin/accounts/:username/unban", s.handleBan(false), s.requireToken(auth.ScopeAdmin))
	api.POST("/admin/invites", s.handleCreateInvite, s.requireToken(auth.ScopeAdmin))
	api.GET("/admin/invites", s.handleListInvites, s.requireToken(auth.ScopeAdmin))
	api.GET("/admin/nodes", s.handleNodes, s.requireToken(auth.ScopeAdmin))
	api.POST("/admin/invites/revoke", s.handleRevokeInvite, s.requireToken(auth.ScopeAdmin))
	e.GET("/.well-known/jwks.json", s.handleJWKS)
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	if s.cfg.PublicMetrics {
		e.GET("/metrics", echo.WrapHandler(s.metrics.handler()))
	}
	e.GET("/ws", s.handleWS)
	s.assetRoutes(e)
	return e
}

// securityHeaders sets the headers every answer carries: no MIME sniffing, no referrer, no
// framing, and HSTS over TLS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if c.IsTLS() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}
