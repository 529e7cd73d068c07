package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleHealth is GET /healthz: the process is alive, whatever else is true.
func (s *Server) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady is GET /readyz: the server takes players, which it stops doing once it is
// shutting down or its database does not answer, so a load balancer sends them elsewhere.
func (s *Server) handleReady(c echo.Context) error {
	if s.shuttingDown.Load() {
		return c.JSON(http.StatusServiceUnavailable, apiError{Error: "shutting_down", Message: "the server is shutting down"})
	}
	if err := s.db.Ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, apiError{Error: "not_ready", Message: "the database does not answer"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
