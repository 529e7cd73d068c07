package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
)

// handleHealth is GET /healthz: the process is alive, whatever else is true.
func (s *Server) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady is GET /readyz: the server takes players, which it stops doing once it is
// shutting down or its database does not answer, so a load balancer sends them elsewhere.
func (s *Server) handleReady(c echo.Context) error {
	if s.shuttingDown.Load() {
		return apiErr(wire.CodeShuttingDown, "the server is shutting down")
	}
	if s.cluster != nil && s.cluster.Refusing() {
		return apiErr(wire.CodeUnavailable, "this node is cut off from its cluster")
	}
	if s.db == nil { // a game node, whose readiness is its link to the cluster
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	}
	if err := s.db.Ping(c.Request().Context()); err != nil {
		return apiErr(wire.CodeNotReady, "the database does not answer")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
