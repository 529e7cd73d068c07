package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// quietPaths are probed often by monitors; their requests are logged at debug level only.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessLog writes one structured line per HTTP request: method, path, status, size, duration
// and the client address (as --trusted-proxies resolves it). It logs the path without its query,
// and no header, body or cookie, so tokens (?token= on /ws, Authorization, the refresh cookie)
// and passwords never reach the log.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// Write the error response now, so that the status logged is the one sent.
			c.Error(err)
		}
		r := c.Request()
		level := slog.LevelInfo
		if quietPaths[r.URL.Path] {
			level = slog.LevelDebug
		}
		if !s.log.Enabled(r.Context(), level) {
			return nil
		}
		status := c.Response().Status
		if err == nil && !c.Response().Committed && websocket.IsWebSocketUpgrade(r) {
			// The upgrader answered 101 on the hijacked connection, past Echo's response.
			status = http.StatusSwitchingProtocols
		}
		s.log.LogAttrs(r.Context(), level, "http",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("took", time.Since(start)),
			slog.String("ip", c.RealIP()),
		)
		return nil
	}
}
