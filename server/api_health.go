package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(c echo.Context) error {
	if s.shuttingDown.Load() {
		return c.JSON(http.StatusServiceUnavailable, apiError{Error: "shutting_down", Message: "the server is shutting down"})
	}
	if err := s.db.Ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, apiError{Error: "not_ready", Message: "the database does not answer"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
