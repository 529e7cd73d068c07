package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/authtest"
	"github.com/tickwire/tickwire/server"
)

// startWithAdmin starts a server whose data folder already holds an admin account made with
// `tickwire user add --admin`.
func startWithAdmin(t *testing.T, mutate func(*server.Config)) (*server.Server, *authHTTP, pair) {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := runMain(t, "admin password\n", "user", "add", "--data", dir, "--admin", "root"); code != 0 {
		t.Fatalf("user add --admin: exit %d: %s", code, stderr)
	}
	srv := startServer(t, func(c *server.Config) {
		c.Data = dir
		if mutate != nil {
			mutate(c)
		}
	})
	h := newAuthHTTP(t, srv.URL(), "")
	return srv, h, h.login("root", "admin password")
}

func TestAuthEndpointsFollowTheContract(t *testing.T) {
	srv, h, admin := startWithAdmin(t, nil)

	t.Run("register", func(t *testing.T) {
		r := h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "alice", "password": "correct horse"})
		var a map[string]string
		r.decode(t, &a)
		if r.status != 201 || a["username"] != "alice" || a["id"] == "" || len(a) != 2 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		wantError(t, "taken", h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "ALICE", "password": "correct horse"}), 409, auth.CodeUsernameTaken)
		wantError(t, "short password", h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "bob", "password": "short"}), 400, auth.CodeInvalidRequest)
		wantError(t, "bad name", h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "b o b", "password": "correct horse"}), 400, auth.CodeInvalidRequest)
		wantError(t, "not JSON", h.do("POST", "/api/v1/auth/register", "", "{nope"), 400, auth.CodeInvalidRequest)
		wantError(t, "wrong types", h.do("POST", "/api/v1/auth/register", "", `{"username": 5, "password": true}`), 400, auth.CodeInvalidRequest)
		wantError(t, "no body", h.do("POST", "/api/v1/auth/register", "", nil), 400, auth.CodeInvalidRequest)
		wantError(t, "GET", h.do("GET", "/api/v1/auth/register", "", nil), 405, "method_not_allowed")
	})

	var p pair
	t.Run("login", func(t *testing.T) {
		r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		var raw map[string]any
		r.decode(t, &raw)
		r.decode(t, &p)
		if len(raw) != 5 || p.TokenType != "Bearer" || p.ExpiresIn != 900 || p.RefreshExpiresIn != 168*3600 || p.AccessToken == "" || p.RefreshToken == "" {
			t.Errorf("token pair %s", r.body)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q on a token answer", cc)
		}
		wantRefreshCookie(t, r, p.RefreshToken, false)
		wantError(t, "wrong password", h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "wrong horse"}), 401, auth.CodeInvalidCredentials)
		wantError(t, "unknown user", h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "wrong horse"}), 401, auth.CodeInvalidCredentials)
		wantError(t, "no fields", h.do("POST", "/api/v1/auth/login", "", `{}`), 400, auth.CodeInvalidRequest)
		wantError(t, "not JSON", h.do("POST", "/api/v1/auth/login", "", `[]`), 400, auth.CodeInvalidRequest)
		big := `{"username":"alice","password":"` + strings.Repeat("x", 20<<10) + `"}`
		wantError(t, "a body over the limit", h.do("POST", "/api/v1/auth/login", "", big), 413, "payload_too_large")
	})

	t.Run("me", func(t *testing.T) {
		r := h.do("GET", "/api/v1/me", p.AccessToken, nil)
		var me struct {
			ID       string
			Username string
			Scopes   []string
		}
		r.decode(t, &me)
		if r.status != 200 || me.Username != "alice" || me.ID == "" || !slices.Equal(me.Scopes, []string{"play", "host"}) {
			t.Errorf("me: %d %s", r.status, r.body)
		}
		r = h.do("GET", "/api/v1/me", "", nil)
		wantError(t, "no token", r, 401, auth.CodeInvalidToken)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: %v", r.header)
		}
		wantError(t, "Basic auth", h.do("GET", "/api/v1/me", "", nil, func(q *http.Request) { q.SetBasicAuth("alice", "correct horse") }), 401, auth.CodeInvalidToken)
	})

	t.Run("guest", func(t *testing.T) {
		for _, body := range []any{nil, `{}`, map[string]string{"name": "Zed"}} {
			r := h.do("POST", "/api/v1/auth/guest", "", body)
			var g pair
			r.decode(t, &g)
			if r.status != 200 || g.AccessToken == "" || g.TokenType != "Bearer" {
				t.Fatalf("guest %v: %d %s", body, r.status, r.body)
			}
			wantRefreshCookie(t, r, g.RefreshToken, false)
			me := h.do("GET", "/api/v1/me", g.AccessToken, nil)
			if me.status != 200 {
				t.Errorf("guest me: %d", me.status)
			}
		}
		wantError(t, "bad guest name", h.do("POST", "/api/v1/auth/guest", "", map[string]string{"name": "no spaces please"}), 400, auth.CodeInvalidRequest)
	})

	t.Run("refresh", func(t *testing.T) {
		q := h.login("alice", "correct horse")
		r := h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": q.RefreshToken})
		var n pair
		r.decode(t, &n)
		if r.status != 200 || n.RefreshToken == q.RefreshToken || n.AccessToken == "" {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		wantRefreshCookie(t, r, n.RefreshToken, false)
		wantError(t, "no token", h.do("POST", "/api/v1/auth/refresh", "", `{}`), 400, auth.CodeInvalidRequest)
		wantError(t, "access token as refresh", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": n.AccessToken}), 401, auth.CodeInvalidToken)
		wantError(t, "garbage", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": "a.b.c"}), 401, auth.CodeInvalidToken)
		// Reuse of the first refresh token (from another address: from the same one, within
		// --refresh-grace, it would be a retry) ends the session: the new pair dies too.
		thief := newAuthHTTP(t, h.base, "127.0.0.2")
		wantError(t, "reuse", thief.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": q.RefreshToken}), 401, auth.CodeTokenRevoked)
		wantError(t, "new access after reuse", h.do("GET", "/api/v1/me", n.AccessToken, nil), 401, auth.CodeTokenRevoked)
		wantError(t, "new refresh after reuse", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": n.RefreshToken}), 401, auth.CodeTokenRevoked)
	})

	t.Run("logout", func(t *testing.T) {
		q := h.login("alice", "correct horse")
		r := h.do("POST", "/api/v1/auth/logout", q.AccessToken, `{}`)
		if r.status != 204 || len(r.body) != 0 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		wantClearedCookie(t, r)
		wantError(t, "access after logout", h.do("GET", "/api/v1/me", q.AccessToken, nil), 401, auth.CodeTokenRevoked)
		wantError(t, "refresh after logout", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": q.RefreshToken}), 401, auth.CodeTokenRevoked)
		wantError(t, "logout without a token", h.do("POST", "/api/v1/auth/logout", "", `{}`), 401, auth.CodeInvalidToken)
		if r := h.do("GET", "/api/v1/me", p.AccessToken, nil); r.status != 200 {
			t.Errorf("another session after logout: %d", r.status)
		}
	})

	t.Run("ban and unban", func(t *testing.T) {
		h.register("mallory", "correct horse")
		m := h.login("mallory", "correct horse")
		wantError(t, "ban without admin", h.do("POST", "/api/v1/admin/accounts/alice/ban", p.AccessToken, nil), 403, auth.CodeForbidden)
		wantError(t, "ban without a token", h.do("POST", "/api/v1/admin/accounts/alice/ban", "", nil), 401, auth.CodeInvalidToken)
		wantError(t, "ban of no one", h.do("POST", "/api/v1/admin/accounts/nobody/ban", admin.AccessToken, nil), 404, auth.CodeNotFound)
		if r := h.do("POST", "/api/v1/admin/accounts/mallory/ban", admin.AccessToken, nil); r.status != 204 {
			t.Fatalf("ban: %d %s", r.status, r.body)
		}
		wantError(t, "banned token", h.do("GET", "/api/v1/me", m.AccessToken, nil), 403, auth.CodeAccountDisabled)
		wantError(t, "banned refresh", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": m.RefreshToken}), 403, auth.CodeAccountDisabled)
		wantError(t, "banned login", h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "mallory", "password": "correct horse"}), 403, auth.CodeAccountDisabled)
		wantError(t, "banned login, wrong password", h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "mallory", "password": "wrong horse"}), 401, auth.CodeInvalidCredentials)
		if r := h.do("POST", "/api/v1/admin/accounts/mallory/unban", admin.AccessToken, nil); r.status != 204 {
			t.Fatalf("unban: %d %s", r.status, r.body)
		}
		again := h.login("mallory", "correct horse")
		if r := h.do("GET", "/api/v1/me", again.AccessToken, nil); r.status != 200 {
			t.Errorf("after unban: %d", r.status)
		}
		wantError(t, "a token the ban ended, after unban", h.do("GET", "/api/v1/me", m.AccessToken, nil), 401, auth.CodeTokenRevoked)
	})

	t.Run("jwks", func(t *testing.T) {
		r := h.do("GET", "/.well-known/jwks.json", "", nil)
		var set struct{ Keys []map[string]string }
		r.decode(t, &set)
		if r.status != 200 || len(set.Keys) != 1 {
			t.Fatalf("jwks: %d %s", r.status, r.body)
		}
		k := set.Keys[0]
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["kid"] != srv.Auth().Tokens.Keys.Signing().ID || k["x"] == "" || k["d"] != "" {
			t.Errorf("jwk %v", k)
		}
	})

	t.Run("health", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := h.do("GET", path, "", nil); r.status != 200 {
				t.Errorf("%s: %d", path, r.status)
			}
		}
	})
}

func wantRefreshCookie(t *testing.T, r reply, value string, secure bool) {
	t.Helper()
	for _, c := range r.resp.Cookies() {
		if c.Name != "tickwire_refresh" {
			continue
		}
		if c.Value != value || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth" || c.Secure != secure || c.MaxAge <= 0 {
			t.Errorf("refresh cookie %+v", c)
		}
		return
	}
	t.Errorf("no refresh cookie in %v", r.header["Set-Cookie"])
}

func wantClearedCookie(t *testing.T, r reply) {
	t.Helper()
	for _, c := range r.resp.Cookies() {
		if c.Name == "tickwire_refresh" && c.Value == "" && c.MaxAge < 0 && c.Path == "/api/v1/auth" {
			return
		}
	}
	t.Errorf("the refresh cookie was not cleared: %v", r.header["Set-Cookie"])
}

// TestHostileTokensOverHTTP sends every hostile token to the real server's /api/v1/me.
func TestHostileTokensOverHTTP(t *testing.T) {
	srv, h, admin := startWithAdmin(t, nil)
	id := h.register("alice", "correct horse")
	p := h.login("alice", "correct horse")
	var claims struct {
		SID string `json:"sid"`
	}
	payload := strings.Split(p.AccessToken, ".")[1]
	if err := json.NewDecoder(base64Reader(payload)).Decode(&claims); err != nil {
		t.Fatal(err)
	}
	subj := authtest.Subject{AccountID: id, Username: "alice", SessionID: claims.SID}
	key := srv.Auth().Tokens.Keys.Signing()

	for _, c := range authtest.Hostile(key, subj, time.Now(), p.RefreshToken) {
		t.Run(c.Name, func(t *testing.T) {
			wantError(t, c.Name, h.do("GET", "/api/v1/me", c.Token, nil), 401, c.Code)
		})
	}
	t.Run("15 KiB of dots", func(t *testing.T) {
		wantError(t, "dots", h.do("GET", "/api/v1/me", strings.Repeat(".", 15<<10), nil), 401, auth.CodeInvalidToken)
	})
	t.Run("a megabyte of dots is stopped by the header limit", func(t *testing.T) {
		r := h.do("GET", "/api/v1/me", strings.Repeat(".", 1<<20), nil)
		if r.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", r.status)
		}
	})
	t.Run("revoked jti and ended sid", func(t *testing.T) {
		q := h.login("alice", "correct horse")
		if r := h.do("POST", "/api/v1/auth/logout", q.AccessToken, nil); r.status != 204 {
			t.Fatal(r.status)
		}
		wantError(t, "logged out", h.do("GET", "/api/v1/me", q.AccessToken, nil), 401, auth.CodeTokenRevoked)
	})
	t.Run("banned account", func(t *testing.T) {
		h.register("mallory", "correct horse")
		m := h.login("mallory", "correct horse")
		if r := h.do("POST", "/api/v1/admin/accounts/mallory/ban", admin.AccessToken, nil); r.status != 204 {
			t.Fatal(r.status)
		}
		wantError(t, "banned", h.do("GET", "/api/v1/me", m.AccessToken, nil), 403, auth.CodeAccountDisabled)
	})
	t.Run("the real token still works (control)", func(t *testing.T) {
		if r := h.do("GET", "/api/v1/me", p.AccessToken, nil); r.status != 200 {
			t.Errorf("me: %d %s", r.status, r.body)
		}
	})
}
