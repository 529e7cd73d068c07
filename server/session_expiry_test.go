package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/wire"
)

// serveOn runs a server on data until the returned stop is called (or the test ends).
func serveOn(t *testing.T, data string, mutate func(*server.Config)) (*server.Server, func()) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Data = data
	cfg.Addr = "127.0.0.1:0"
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := server.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := s.Serve(context.Background(), nil); err != nil {
		t.Fatalf("serve: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return s, stop
}

// TestLowerAccessTTLKeepsSessionsRevoked: a token issued under a long --access-ttl stays
// refused after its session was logged out by a server restarted with a short one, however
// long after the short lifetime has passed (a restart at a later time: a stepped clock).
func TestLowerAccessTTLKeepsSessionsRevoked(t *testing.T) {
	data := t.TempDir()
	s1, stop := serveOn(t, data, func(c *server.Config) { c.AccessTTL = time.Hour })
	h := newAuthHTTP(t, s1.URL(), "")
	var old pair
	h.do("POST", "/api/v1/auth/guest", "", `{}`).decode(t, &old)
	stop()

	s2, stop := serveOn(t, data, func(c *server.Config) { c.AccessTTL = 2 * time.Second })
	h = newAuthHTTP(t, s2.URL(), "")
	var fresh pair
	if r := h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": old.RefreshToken}); r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	} else {
		r.decode(t, &fresh)
	}
	if r := h.do("POST", "/api/v1/auth/logout", fresh.AccessToken, `{}`); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	stop()

	// Ten minutes on: the short-lived token is long expired, the old one has 50 minutes left.
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	s3, _ := serveOn(t, data, func(c *server.Config) { c.AccessTTL = 2 * time.Second; c.Now = later })
	h = newAuthHTTP(t, s3.URL(), "")
	wantError(t, "the logged-out session's older token at /me", h.do("GET", "/api/v1/me", old.AccessToken, nil), 401, auth.CodeTokenRevoked)
	ws, resp, err := dialRaw(goclient.WebSocketURL(s3.URL()), bearerHeader(old.AccessToken), wire.Subprotocol)
	if err == nil {
		ws.Close()
		t.Fatal("the logged-out session's older token opened a socket")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("socket with the older token: %s, want 401", respStatus(resp))
	}
}
