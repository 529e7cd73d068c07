package server_test

import (
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestCrossSitePostsCannotSwapTheSession: a page on another site posts forms to the endpoints
// that read or set the refresh cookie. Each is refused 403 forbidden with no cookie set, and
// the player's own session goes on; the server's own pages, the origins in --origins and
// clients that are not browsers are served as before.
func TestCrossSitePostsCannotSwapTheSession(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.Origins = []string{"https://play.example"} })
	victim := servertest.NewClient(t, srv.URL(), "")
	jar, _ := cookiejar.New(nil)
	victim.HTTP.Jar = jar
	victim.Register("alice", "correct horse")
	own := victim.Login("alice", "correct horse")

	form := func(hdr map[string]string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range hdr {
				r.Header.Set(k, v)
			}
		}
	}
	evil := map[string]string{"Origin": "https://evil.example"}
	fetchOnly := map[string]string{"Sec-Fetch-Site": "cross-site"}
	sibling := map[string]string{"Sec-Fetch-Site": "same-site"}
	nullOrigin := map[string]string{"Origin": "null"}
	for _, attack := range []struct {
		name, path, token string
		hdr               map[string]string
	}{
		{"guest from another origin", "/api/v1/auth/guest", "", evil},
		{"guest, Sec-Fetch-Site alone", "/api/v1/auth/guest", "", fetchOnly},
		{"guest from a sandboxed page", "/api/v1/auth/guest", "", nullOrigin},
		{"login from another origin", "/api/v1/auth/login", "", evil},
		{"login from a sibling site", "/api/v1/auth/login", "", sibling},
		{"refresh from another origin", "/api/v1/auth/refresh", "", evil},
		{"refresh, Sec-Fetch-Site alone", "/api/v1/auth/refresh", "", fetchOnly},
		{"logout from another origin", "/api/v1/auth/logout", own.AccessToken, evil},
	} {
		var body any
		if attack.path == "/api/v1/auth/login" {
			body = "username=mallory&password=mallorys+password"
		}
		r := victim.Do("POST", attack.path, attack.token, body, form(attack.hdr))
		servertest.WantError(t, attack.name, r, 403, wire.CodeForbidden)
		if len(r.Resp.Cookies()) != 0 {
			t.Errorf("%s: set %v", attack.name, r.Header["Set-Cookie"])
		}
	}
	// The player's session is untouched: the cookie still refreshes, and the access token works.
	r := victim.Do("POST", "/api/v1/auth/refresh", "", nil, func(q *http.Request) { q.Header.Set("Origin", srv.URL()) })
	if r.Status != 200 {
		t.Fatalf("refresh from the server's own page: %d %s", r.Status, r.Body)
	}
	if r := victim.Do("GET", "/api/v1/me", own.AccessToken, nil); r.Status != 200 {
		t.Fatalf("/me after the attacks: %d %s", r.Status, r.Body)
	}

	for _, ok := range []struct {
		name string
		hdr  map[string]string
	}{
		{"the server's own origin", map[string]string{"Origin": srv.URL()}},
		{"an origin in --origins", map[string]string{"Origin": "https://play.example"}},
		{"Sec-Fetch-Site same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"a typed address", map[string]string{"Sec-Fetch-Site": "none"}},
		{"a bot, no headers", nil},
	} {
		h := servertest.NewClient(t, srv.URL(), "")
		r := h.Do("POST", "/api/v1/auth/guest", "", `{}`, form(ok.hdr))
		if r.Status != 200 {
			t.Errorf("guest from %s: %d %s", ok.name, r.Status, r.Body)
		}
	}
}

// TestSecureCookieFollowsOnlyATrustedProxy: the refresh cookie is Secure when a trusted proxy
// says the client used HTTPS, and not when anyone else says so.
func TestSecureCookieFollowsOnlyATrustedProxy(t *testing.T) {
	https := func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }
	login := func(h *servertest.Client, mutate ...func(*http.Request)) servertest.Reply {
		r := h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"}, mutate...)
		if r.Status != 200 {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		return r
	}
	secure := func(r servertest.Reply) bool {
		for _, c := range r.Resp.Cookies() {
			if c.Name == "tickwire_refresh" {
				return c.Secure
			}
		}
		t.Fatalf("no refresh cookie in %v", r.Header["Set-Cookie"])
		return false
	}

	plain := servertest.Start(t, nil)
	h := servertest.NewClient(t, plain.URL(), "127.0.0.1")
	h.Register("alice", "correct horse")
	if secure(login(h, https)) {
		t.Error("without --trusted-proxies a client's X-Forwarded-Proto made the cookie Secure")
	}

	proxied := servertest.Start(t, func(c *server.Config) { c.TrustedProxies = mustCIDRs(t, "127.0.0.1") })
	proxy := servertest.NewClient(t, proxied.URL(), "127.0.0.1")
	stranger := servertest.NewClient(t, proxied.URL(), "127.0.0.9")
	proxy.Register("alice", "correct horse")
	if !secure(login(proxy, https)) {
		t.Error("X-Forwarded-Proto: https from a trusted proxy left the cookie without Secure")
	}
	if secure(login(proxy)) {
		t.Error("a trusted proxy's plain HTTP request got a Secure cookie")
	}
	if secure(login(stranger, https)) {
		t.Error("X-Forwarded-Proto from an address not in --trusted-proxies made the cookie Secure")
	}
}
