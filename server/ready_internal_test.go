package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestReadyzDuringShutdown: a load balancer polling /readyz stops sending players to a server
// that is shutting down, while /healthz still says the process is alive.
func TestReadyzDuringShutdown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(path string) int {
		rec := httptest.NewRecorder()
		s.echo.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code
	}
	if get("/readyz") != http.StatusOK {
		t.Fatal("not ready before shutdown")
	}
	s.shuttingDown.Store(true)
	if c := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while shutting down: %d, want 503", c)
	}
	if c := get("/healthz"); c != http.StatusOK {
		t.Fatalf("/healthz while shutting down: %d, want 200", c)
	}
}
