package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// serveOn runs a server on data until the returned stop is called (or the test ends).
func serveOn(t *testing.T, data string, mutate func(*server.Config)) (*servertest.Server, func()) {
	t.Helper()
	s := servertest.Start(t, func(c *server.Config) {
		c.Data = data
		if mutate != nil {
			mutate(c)
		}
	})
	return s, s.Stop
}

// TestLowerAccessTTLKeepsSessionsRevoked: a token issued under a long --access-ttl stays
// refused after its session was logged out by a server restarted with a short one, however
// long after the short lifetime has passed (a restart at a later time: a stepped clock).
func TestLowerAccessTTLKeepsSessionsRevoked(t *testing.T) {
	data := t.TempDir()
	s1, stop := serveOn(t, data, func(c *server.Config) { c.AccessTTL = time.Hour })
	h := servertest.NewClient(t, s1.URL(), "")
	var old servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &old)
	stop()

	s2, stop := serveOn(t, data, func(c *server.Config) { c.AccessTTL = 2 * time.Second })
	h = servertest.NewClient(t, s2.URL(), "")
	var fresh servertest.Tokens
	if r := h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": old.RefreshToken}); r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	} else {
		r.Decode(t, &fresh)
	}
	if r := h.Do("POST", "/api/v1/auth/logout", fresh.AccessToken, `{}`); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	stop()

	// Ten minutes on: the short-lived token is long expired, the old one has 50 minutes left.
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	s3, _ := serveOn(t, data, func(c *server.Config) { c.AccessTTL = 2 * time.Second; c.Now = later })
	h = servertest.NewClient(t, s3.URL(), "")
	servertest.WantError(t, "the logged-out session's older token at /me", h.Do("GET", "/api/v1/me", old.AccessToken, nil), 401, wire.CodeTokenRevoked)
	ws, resp, err := servertest.DialRaw(goclient.WebSocketURL(s3.URL()), servertest.Bearer(old.AccessToken), wire.Subprotocol)
	if err == nil {
		ws.Close()
		t.Fatal("the logged-out session's older token opened a socket")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("socket with the older token: %s, want 401", servertest.RespStatus(resp))
	}
}

// expOf is a token's exp, read without checking the token.
func expOf(t *testing.T, token string) time.Time {
	t.Helper()
	return servertest.Claims(t, token).ExpiresAt.Time
}

// refreshAt trades p's refresh token for a new pair, failing the test unless it is granted.
func refreshAt(t *testing.T, h *servertest.Client, p servertest.Tokens) servertest.Tokens {
	t.Helper()
	r := h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": p.RefreshToken})
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	var next servertest.Tokens
	r.Decode(t, &next)
	return next
}

// TestSessionMaxAgeCapsEveryToken: with --session-max-age 1h, every access and refresh token
// of a session, issued at its login or at any refresh, expires by its login plus an hour, and
// the lifetimes the pair announces say so.
func TestSessionMaxAgeCapsEveryToken(t *testing.T) {
	clk := &authClock{now: time.Now().Truncate(time.Second)}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now; c.SessionMaxAge = time.Hour })
	h := servertest.NewClient(t, srv.URL(), "")
	login := clk.Now()
	end := login.Add(time.Hour)
	var p servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &p)
	if got := expOf(t, p.RefreshToken); !got.Equal(end) {
		t.Errorf("the login's refresh token expires at %v, want the session's end %v", got, end)
	}
	for _, step := range []time.Duration{10 * time.Minute, 20 * time.Minute, 20 * time.Minute, 9 * time.Minute} {
		clk.Step(step)
		p = refreshAt(t, h, p)
		now := clk.Now()
		for what, tok := range map[string]string{"access": p.AccessToken, "refresh": p.RefreshToken} {
			if exp := expOf(t, tok); exp.After(end) {
				t.Errorf("at +%v the %s token expires at +%v, past the session's end", now.Sub(login), what, exp.Sub(login))
			}
		}
		if got, want := time.Duration(p.ExpiresIn)*time.Second, min(15*time.Minute, end.Sub(now)); got != want {
			t.Errorf("at +%v expires_in is %v, want %v", now.Sub(login), got, want)
		}
		if got := time.Duration(p.RefreshExpiresIn) * time.Second; got != end.Sub(now) {
			t.Errorf("at +%v refresh_expires_in is %v, want %v", now.Sub(login), got, end.Sub(now))
		}
	}
}

// TestSessionEndsAtMaxAge: a session refreshed often stops at its login plus
// --session-max-age: the last refresh token is refused at that moment (token_expired), and
// the last access token stops working then too.
func TestSessionEndsAtMaxAge(t *testing.T) {
	clk := &authClock{now: time.Now().Truncate(time.Second)}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now; c.SessionMaxAge = time.Hour })
	h := servertest.NewClient(t, srv.URL(), "")
	var p servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &p)
	for range 11 {
		clk.Step(5 * time.Minute)
		p = refreshAt(t, h, p)
	}
	if r := h.Do("GET", "/api/v1/me", p.AccessToken, nil); r.Status != http.StatusOK {
		t.Fatalf("me before the end: %d %s", r.Status, r.Body)
	}
	clk.Step(5 * time.Minute) // login + 1h
	servertest.WantError(t, "refresh at the session's end", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": p.RefreshToken}), 401, wire.CodeTokenExpired)
	clk.Step(auth.Leeway + time.Second)
	servertest.WantError(t, "the last access token after the session's end", h.Do("GET", "/api/v1/me", p.AccessToken, nil), 401, wire.CodeTokenExpired)
	servertest.WantError(t, "refresh after the session's end", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": p.RefreshToken}), 401, wire.CodeTokenExpired)
}
