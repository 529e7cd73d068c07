package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth/authtest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// startWithAdmin starts a server whose data folder already holds an admin account made with
// `tickwire user add --admin`.
func startWithAdmin(t *testing.T, mutate func(*server.Config)) (*servertest.Server, *servertest.Client, servertest.Tokens) {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := servertest.RunMain(t, "admin password\n", "user", "add", "--data", dir, "--admin", "root"); code != 0 {
		t.Fatalf("user add --admin: exit %d: %s", code, stderr)
	}
	srv := servertest.Start(t, func(c *server.Config) {
		c.Data = dir
		if mutate != nil {
			mutate(c)
		}
	})
	h := servertest.NewClient(t, srv.URL(), "")
	return srv, h, h.Login("root", "admin password")
}

func TestAuthEndpointsFollowTheContract(t *testing.T) {
	srv, h, admin := startWithAdmin(t, nil)

	t.Run("register", func(t *testing.T) {
		r := h.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "alice", "password": "correct horse"})
		var a map[string]string
		r.Decode(t, &a)
		if r.Status != 201 || a["username"] != "alice" || a["id"] == "" || len(a) != 2 {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		servertest.WantError(t, "taken", h.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "ALICE", "password": "correct horse"}), 409, wire.CodeUsernameTaken)
		servertest.WantError(t, "short password", h.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "bob", "password": "short"}), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "bad name", h.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "b o b", "password": "correct horse"}), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "not JSON", h.Do("POST", "/api/v1/auth/register", "", "{nope"), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "wrong types", h.Do("POST", "/api/v1/auth/register", "", `{"username": 5, "password": true}`), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "no body", h.Do("POST", "/api/v1/auth/register", "", nil), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "GET", h.Do("GET", "/api/v1/auth/register", "", nil), 405, "method_not_allowed")
	})

	var p servertest.Tokens
	t.Run("login", func(t *testing.T) {
		r := h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"})
		if r.Status != 200 {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		var raw map[string]any
		r.Decode(t, &raw)
		r.Decode(t, &p)
		if len(raw) != 5 || p.TokenType != "Bearer" || p.ExpiresIn != 900 || p.RefreshExpiresIn != 168*3600 || p.AccessToken == "" || p.RefreshToken == "" {
			t.Errorf("token pair %s", r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q on a token answer", cc)
		}
		wantRefreshCookie(t, r, p.RefreshToken, false)
		servertest.WantError(t, "wrong password", h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "wrong horse"}), 401, wire.CodeInvalidCredentials)
		servertest.WantError(t, "unknown user", h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "wrong horse"}), 401, wire.CodeInvalidCredentials)
		servertest.WantError(t, "no fields", h.Do("POST", "/api/v1/auth/login", "", `{}`), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "not JSON", h.Do("POST", "/api/v1/auth/login", "", `[]`), 400, wire.CodeInvalidRequest)
		big := `{"username":"alice","password":"` + strings.Repeat("x", 20<<10) + `"}`
		servertest.WantError(t, "a body over the limit", h.Do("POST", "/api/v1/auth/login", "", big), 413, "payload_too_large")
	})

	t.Run("me", func(t *testing.T) {
		r := h.Do("GET", "/api/v1/me", p.AccessToken, nil)
		var me struct {
			ID       string
			Username string
			Scopes   []string
		}
		r.Decode(t, &me)
		if r.Status != 200 || me.Username != "alice" || me.ID == "" || !slices.Equal(me.Scopes, []string{"play", "host"}) {
			t.Errorf("me: %d %s", r.Status, r.Body)
		}
		r = h.Do("GET", "/api/v1/me", "", nil)
		servertest.WantError(t, "no token", r, 401, wire.CodeInvalidToken)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: %v", r.Header)
		}
		servertest.WantError(t, "Basic auth", h.Do("GET", "/api/v1/me", "", nil, func(q *http.Request) { q.SetBasicAuth("alice", "correct horse") }), 401, wire.CodeInvalidToken)
	})

	t.Run("guest", func(t *testing.T) {
		for _, body := range []any{nil, `{}`, map[string]string{"name": "Zed"}} {
			r := h.Do("POST", "/api/v1/auth/guest", "", body)
			var g servertest.Tokens
			r.Decode(t, &g)
			if r.Status != 200 || g.AccessToken == "" || g.TokenType != "Bearer" {
				t.Fatalf("guest %v: %d %s", body, r.Status, r.Body)
			}
			wantRefreshCookie(t, r, g.RefreshToken, false)
			me := h.Do("GET", "/api/v1/me", g.AccessToken, nil)
			if me.Status != 200 {
				t.Errorf("guest me: %d", me.Status)
			}
		}
		servertest.WantError(t, "bad guest name", h.Do("POST", "/api/v1/auth/guest", "", map[string]string{"name": "no spaces please"}), 400, wire.CodeInvalidRequest)
	})

	t.Run("refresh", func(t *testing.T) {
		q := h.Login("alice", "correct horse")
		r := h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": q.RefreshToken})
		var n servertest.Tokens
		r.Decode(t, &n)
		if r.Status != 200 || n.RefreshToken == q.RefreshToken || n.AccessToken == "" {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		wantRefreshCookie(t, r, n.RefreshToken, false)
		servertest.WantError(t, "no token", h.Do("POST", "/api/v1/auth/refresh", "", `{}`), 400, wire.CodeInvalidRequest)
		servertest.WantError(t, "access token as refresh", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": n.AccessToken}), 401, wire.CodeInvalidToken)
		servertest.WantError(t, "garbage", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": "a.b.c"}), 401, wire.CodeInvalidToken)
		// Reuse of the first refresh token (from another address: from the same one, within
		// --refresh-grace, it would be a retry) ends the session: the new pair dies too.
		thief := servertest.NewClient(t, h.Base, "127.0.0.2")
		servertest.WantError(t, "reuse", thief.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": q.RefreshToken}), 401, wire.CodeTokenRevoked)
		servertest.WantError(t, "new access after reuse", h.Do("GET", "/api/v1/me", n.AccessToken, nil), 401, wire.CodeTokenRevoked)
		servertest.WantError(t, "new refresh after reuse", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": n.RefreshToken}), 401, wire.CodeTokenRevoked)
	})

	t.Run("logout", func(t *testing.T) {
		q := h.Login("alice", "correct horse")
		r := h.Do("POST", "/api/v1/auth/logout", q.AccessToken, `{}`)
		if r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		wantClearedCookie(t, r)
		servertest.WantError(t, "access after logout", h.Do("GET", "/api/v1/me", q.AccessToken, nil), 401, wire.CodeTokenRevoked)
		servertest.WantError(t, "refresh after logout", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": q.RefreshToken}), 401, wire.CodeTokenRevoked)
		servertest.WantError(t, "logout without a token", h.Do("POST", "/api/v1/auth/logout", "", `{}`), 401, wire.CodeInvalidToken)
		if r := h.Do("GET", "/api/v1/me", p.AccessToken, nil); r.Status != 200 {
			t.Errorf("another session after logout: %d", r.Status)
		}
	})

	t.Run("ban and unban", func(t *testing.T) {
		h.Register("mallory", "correct horse")
		m := h.Login("mallory", "correct horse")
		servertest.WantError(t, "ban without admin", h.Do("POST", "/api/v1/admin/accounts/alice/ban", p.AccessToken, nil), 403, wire.CodeForbidden)
		servertest.WantError(t, "ban without a token", h.Do("POST", "/api/v1/admin/accounts/alice/ban", "", nil), 401, wire.CodeInvalidToken)
		servertest.WantError(t, "ban of no one", h.Do("POST", "/api/v1/admin/accounts/nobody/ban", admin.AccessToken, nil), 404, wire.CodeNotFound)
		if r := h.Do("POST", "/api/v1/admin/accounts/mallory/ban", admin.AccessToken, nil); r.Status != 204 {
			t.Fatalf("ban: %d %s", r.Status, r.Body)
		}
		servertest.WantError(t, "banned token", h.Do("GET", "/api/v1/me", m.AccessToken, nil), 403, wire.CodeAccountDisabled)
		servertest.WantError(t, "banned refresh", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": m.RefreshToken}), 403, wire.CodeAccountDisabled)
		servertest.WantError(t, "banned login", h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "mallory", "password": "correct horse"}), 403, wire.CodeAccountDisabled)
		servertest.WantError(t, "banned login, wrong password", h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "mallory", "password": "wrong horse"}), 401, wire.CodeInvalidCredentials)
		if r := h.Do("POST", "/api/v1/admin/accounts/mallory/unban", admin.AccessToken, nil); r.Status != 204 {
			t.Fatalf("unban: %d %s", r.Status, r.Body)
		}
		again := h.Login("mallory", "correct horse")
		if r := h.Do("GET", "/api/v1/me", again.AccessToken, nil); r.Status != 200 {
			t.Errorf("after unban: %d", r.Status)
		}
		servertest.WantError(t, "a token the ban ended, after unban", h.Do("GET", "/api/v1/me", m.AccessToken, nil), 401, wire.CodeTokenRevoked)
	})

	t.Run("jwks", func(t *testing.T) {
		r := h.Do("GET", "/.well-known/jwks.json", "", nil)
		var set struct{ Keys []map[string]string }
		r.Decode(t, &set)
		if r.Status != 200 || len(set.Keys) != 1 {
			t.Fatalf("jwks: %d %s", r.Status, r.Body)
		}
		k := set.Keys[0]
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["kid"] != srv.Auth().Tokens.Keys.Signing().ID || k["x"] == "" || k["d"] != "" {
			t.Errorf("jwk %v", k)
		}
	})

	t.Run("health", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := h.Do("GET", path, "", nil); r.Status != 200 {
				t.Errorf("%s: %d", path, r.Status)
			}
		}
	})
}

func wantRefreshCookie(t *testing.T, r servertest.Reply, value string, secure bool) {
	t.Helper()
	for _, c := range r.Resp.Cookies() {
		if c.Name != "tickwire_refresh" {
			continue
		}
		if c.Value != value || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth" || c.Secure != secure || c.MaxAge <= 0 {
			t.Errorf("refresh cookie %+v", c)
		}
		return
	}
	t.Errorf("no refresh cookie in %v", r.Header["Set-Cookie"])
}

func wantClearedCookie(t *testing.T, r servertest.Reply) {
	t.Helper()
	for _, c := range r.Resp.Cookies() {
		if c.Name == "tickwire_refresh" && c.Value == "" && c.MaxAge < 0 && c.Path == "/api/v1/auth" {
			return
		}
	}
	t.Errorf("the refresh cookie was not cleared: %v", r.Header["Set-Cookie"])
}

// TestHostileTokensOverHTTP sends every hostile token to the real server's /api/v1/me.
func TestHostileTokensOverHTTP(t *testing.T) {
	srv, h, admin := startWithAdmin(t, nil)
	id := h.Register("alice", "correct horse")
	p := h.Login("alice", "correct horse")
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
			servertest.WantError(t, c.Name, h.Do("GET", "/api/v1/me", c.Token, nil), 401, c.Code)
		})
	}
	t.Run("15 KiB of dots", func(t *testing.T) {
		servertest.WantError(t, "dots", h.Do("GET", "/api/v1/me", strings.Repeat(".", 15<<10), nil), 401, wire.CodeInvalidToken)
	})
	t.Run("a megabyte of dots is stopped by the header limit", func(t *testing.T) {
		r := h.Do("GET", "/api/v1/me", strings.Repeat(".", 1<<20), nil)
		if r.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", r.Status)
		}
	})
	t.Run("revoked jti and ended sid", func(t *testing.T) {
		q := h.Login("alice", "correct horse")
		if r := h.Do("POST", "/api/v1/auth/logout", q.AccessToken, nil); r.Status != 204 {
			t.Fatal(r.Status)
		}
		servertest.WantError(t, "logged out", h.Do("GET", "/api/v1/me", q.AccessToken, nil), 401, wire.CodeTokenRevoked)
	})
	t.Run("banned account", func(t *testing.T) {
		h.Register("mallory", "correct horse")
		m := h.Login("mallory", "correct horse")
		if r := h.Do("POST", "/api/v1/admin/accounts/mallory/ban", admin.AccessToken, nil); r.Status != 204 {
			t.Fatal(r.Status)
		}
		servertest.WantError(t, "banned", h.Do("GET", "/api/v1/me", m.AccessToken, nil), 403, wire.CodeAccountDisabled)
	})
	t.Run("the real token still works (control)", func(t *testing.T) {
		if r := h.Do("GET", "/api/v1/me", p.AccessToken, nil); r.Status != 200 {
			t.Errorf("me: %d %s", r.Status, r.Body)
		}
	})
}

// base64Reader decodes s, unpadded base64url, as it is read.
func base64Reader(s string) io.Reader {
	return base64.NewDecoder(base64.RawURLEncoding, strings.NewReader(s))
}
