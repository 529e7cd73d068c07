package server_test

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/auth/oidc/oidctest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

const oidcSecret = "test-client-secret"

// startOIDC runs a test provider with users alice and bob (same email, different subjects)
// and a server that signs in with it as provider "test".
func startOIDC(t *testing.T, mutate func(*server.Config), opts ...servertest.Option) (*servertest.Server, *oidctest.Provider) {
	t.Helper()
	p, err := oidctest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	p.AddUser(oidctest.User{Subject: "sub-alice", Username: "alice", Password: "alice-pw", PreferredUsername: "alice", Email: "same@example.test"})
	p.AddUser(oidctest.User{Subject: "sub-bob", Username: "bob", Password: "bob-pw", PreferredUsername: "alice", Email: "same@example.test"})
	m := func(c *server.Config) {
		c.OIDC = []oidc.Config{{Name: "test", DisplayName: "Test ID", Issuer: p.Issuer, ClientID: "tickwire", ClientSecret: oidcSecret}}
		if mutate != nil {
			mutate(c)
		}
	}
	s := servertest.Start(t, m, opts...)
	p.AddClient("tickwire", oidcSecret, s.URL()+"/api/v1/auth/oidc/test/callback")
	return s, p
}

// browser is an HTTP client with a cookie jar that follows redirects until one lands on a
// page of the server outside the API, which it records in landed; callbacks holds every
// callback it was sent to, with its code and state.
type browser struct {
	hc        *http.Client
	base      *url.URL
	landed    *url.URL
	callbacks []*url.URL
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{base: mustURL(t, base)}
	b.hc = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == b.base.Host && strings.HasSuffix(req.URL.Path, "/callback") {
			b.callbacks = append(b.callbacks, req.URL)
		}
		if req.URL.Host == b.base.Host && !strings.HasPrefix(req.URL.Path, "/api/") {
			b.landed = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// start opens the sign-in start and follows it to the provider's login form; it returns the
// form's URL (its id) .
func (b *browser) start(t *testing.T, path string) *url.URL {
	t.Helper()
	resp, err := b.hc.Get(b.base.String() + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/login" {
		t.Fatalf("start %s ended at %s with %d", path, resp.Request.URL, resp.StatusCode)
	}
	return resp.Request.URL
}

// submit fills the provider's login form and follows the redirects back to the server; it
// returns where the browser landed.
func (b *browser) submit(t *testing.T, form *url.URL, user, password string, deny bool) *url.URL {
	t.Helper()
	b.landed = nil
	v := url.Values{"id": {form.Query().Get("id")}, "username": {user}, "password": {password}}
	if deny {
		v.Set("deny", "1")
	}
	resp, err := b.hc.PostForm(form.Scheme+"://"+form.Host+"/login", v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if b.landed == nil {
		t.Fatalf("login ended at %s with %d, not back on the server", resp.Request.URL, resp.StatusCode)
	}
	return b.landed
}

// get opens url and follows its redirects back to the server; it returns where it landed.
func (b *browser) get(t *testing.T, url string) *url.URL {
	t.Helper()
	b.landed = nil
	resp, err := b.hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if b.landed == nil {
		t.Fatalf("%s ended at %s with %d, not back on the server", url, resp.Request.URL, resp.StatusCode)
	}
	return b.landed
}

// refresh trades the browser's refresh cookie for a token pair, as the page does on load.
func (b *browser) refresh(t *testing.T) (int, map[string]any) {
	t.Helper()
	st, body, _ := servertest.Call(t, b.hc, "POST", b.base.String()+"/api/v1/auth/refresh", "", nil)
	return st, body
}

func TestOIDCBrowserLogin(t *testing.T) {
	s, _ := startOIDC(t, nil, servertest.LogJSON)
	log := s.Log
	st, body, _ := servertest.Call(t, nil, "GET", s.URL()+"/api/v1/auth/providers", "", nil)
	servertest.MustStatus(t, "providers", st, 200, body)
	if ps := body["providers"].([]any); len(ps) != 1 || ps[0].(map[string]any)["display_name"] != "Test ID" {
		t.Fatalf("providers = %v", body)
	}

	b := newBrowser(t, s.URL())
	began := time.Now()
	form := b.start(t, "/api/v1/auth/oidc/test/start?return_to=/play")
	landed := b.submit(t, form, "alice", "alice-pw", false)
	st, pair := b.refresh(t)
	took := time.Since(began)
	t.Logf("the whole code flow, start to a token pair, took %s", took.Round(time.Millisecond))
	if landed.Path != "/play" || landed.Fragment != "" {
		t.Fatalf("landed on %s, want /play", landed)
	}
	servertest.MustStatus(t, "refresh after the callback", st, 200, pair)
	access := pair["access_token"].(string)
	claims := servertest.Claims(t, access)
	if claims.IDP != "test" || claims.Name != "alice" || claims.SID == "" {
		t.Errorf("claims: idp %q name %q sid %q", claims.IDP, claims.Name, claims.SID)
	}
	st, me, _ := servertest.Call(t, nil, "GET", s.URL()+"/api/v1/me", access, nil)
	servertest.MustStatus(t, "me", st, 200, me)
	ids, _ := me["identities"].([]any)
	if len(ids) != 1 || ids[0].(map[string]any)["provider"] != "test" {
		t.Errorf("me.identities = %v", me["identities"])
	}
	// A refreshed token keeps idp.
	st, pair2 := b.refresh(t)
	servertest.MustStatus(t, "second refresh", st, 200, pair2)
	if c := servertest.Claims(t, pair2["access_token"].(string)); c.IDP != "test" {
		t.Errorf("refreshed idp = %q", c.IDP)
	}

	t.Run("same subject, same account", func(t *testing.T) {
		b2 := newBrowser(t, s.URL())
		b2.submit(t, b2.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)
		_, p := b2.refresh(t)
		if c := servertest.Claims(t, p["access_token"].(string)); c.Subject != claims.Subject {
			t.Errorf("second login made account %s, first %s", c.Subject, claims.Subject)
		}
	})
	t.Run("same email, another subject, another account", func(t *testing.T) {
		b3 := newBrowser(t, s.URL())
		if l := b3.submit(t, b3.start(t, "/api/v1/auth/oidc/test/start"), "bob", "bob-pw", false); l.Path != "/" {
			t.Fatalf("landed on %s", l)
		}
		_, p := b3.refresh(t)
		c := servertest.Claims(t, p["access_token"].(string))
		if c.Subject == claims.Subject || c.Name == "alice" || !strings.HasPrefix(c.Name, "alice-") {
			t.Errorf("bob (preferred_username alice, same email): account %s named %q; alice's is %s", c.Subject, c.Name, claims.Subject)
		}
	})
	// Nothing of the flow reaches the log: no state, code, cookie or token.
	for _, ck := range b.hc.Jar.Cookies(mustURL(t, s.URL()+"/api/v1/auth")) {
		if strings.Contains(log.String(), ck.Value) {
			t.Errorf("the log holds the value of cookie %s", ck.Name)
		}
	}
	if q := form.Query().Get("id"); strings.Contains(log.String(), q) || strings.Contains(log.String(), access) {
		t.Error("the log holds a request id or token")
	}
	// A refused callback, its code replayed, logs its refusal but neither value either.
	if len(b.callbacks) == 0 {
		t.Fatal("the browser went through no callback")
	}
	cb := b.callbacks[0]
	if l := b.get(t, cb.String()); !strings.HasPrefix(l.Fragment, "auth_error=") {
		t.Errorf("a replayed callback landed on %s, want an auth_error", l)
	}
	for _, k := range []string{"code", "state"} {
		if v := cb.Query().Get(k); v == "" || strings.Contains(log.String(), v) {
			t.Errorf("the log holds the callback's %s (%q)", k, v)
		}
	}
}

// callbackWith runs a login up to the provider's redirect back, then lets tamper change that
// callback URL (and the browser) before it is followed.
func callbackWith(t *testing.T, s *servertest.Server, b *browser, user, pw string, tamper func(u *url.URL) *browser) (*url.URL, *url.URL) {
	t.Helper()
	form := b.start(t, "/api/v1/auth/oidc/test/start")
	// Stop at the callback instead of following it.
	var cb *url.URL
	stop := &http.Client{Jar: b.hc.Jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/callback") && req.URL.Host == b.base.Host {
			cb = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := stop.PostForm(form.Scheme+"://"+form.Host+"/login", url.Values{"id": {form.Query().Get("id")}, "username": {user}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cb == nil {
		t.Fatal("the provider did not redirect to the callback")
	}
	orig := *cb
	follower := tamper(cb)
	follower.landed = nil
	resp, err = follower.hc.Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return &orig, follower.landed
}

func authError(t *testing.T, landed *url.URL) string {
	t.Helper()
	if landed == nil {
		t.Fatal("did not land on a page")
	}
	return strings.TrimPrefix(landed.Fragment, "auth_error=")
}

func noSession(t *testing.T, b *browser) {
	t.Helper()
	if st, body := b.refresh(t); st == 200 {
		t.Errorf("a refused callback left a session: %v", body)
	}
}

func TestOIDCCallbackRefusals(t *testing.T) {
	s, p := startOIDC(t, nil)
	same := func(b *browser) func(*url.URL) *browser { return func(*url.URL) *browser { return b } }

	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t, s.URL())
		cb, landed := callbackWith(t, s, b, "alice", "alice-pw", same(b))
		if landed.Path != "/" || landed.Fragment != "" {
			t.Fatalf("first callback landed on %s", landed)
		}
		b.landed = nil
		resp, err := b.hc.Get(cb.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := authError(t, b.landed); got != "oidc_state" {
			t.Errorf("replay: auth_error %q", got)
		}
	})
	t.Run("state from another browser", func(t *testing.T) {
		b := newBrowser(t, s.URL())
		other := newBrowser(t, s.URL())
		_, landed := callbackWith(t, s, b, "alice", "alice-pw", func(*url.URL) *browser { return other })
		if got := authError(t, landed); got != "oidc_state" {
			t.Errorf("auth_error %q", got)
		}
		noSession(t, other)
		noSession(t, b)
	})
	t.Run("tampered code", func(t *testing.T) {
		b := newBrowser(t, s.URL())
		_, landed := callbackWith(t, s, b, "alice", "alice-pw", func(u *url.URL) *browser {
			q := u.Query()
			q.Set("code", q.Get("code")+"x")
			u.RawQuery = q.Encode()
			return b
		})
		if got := authError(t, landed); got != "oidc_failed" {
			t.Errorf("auth_error %q", got)
		}
		noSession(t, b)
	})
	t.Run("unknown state", func(t *testing.T) {
		b := newBrowser(t, s.URL())
		_, landed := callbackWith(t, s, b, "alice", "alice-pw", func(u *url.URL) *browser {
			q := u.Query()
			q.Set("state", oidc.Random())
			u.RawQuery = q.Encode()
			return b
		})
		if got := authError(t, landed); got != "oidc_state" {
			t.Errorf("auth_error %q", got)
		}
		noSession(t, b)
	})
	t.Run("provider error", func(t *testing.T) {
		b := newBrowser(t, s.URL())
		if got := authError(t, b.submit(t, b.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", true)); got != "oidc_denied" {
			t.Errorf("auth_error %q", got)
		}
		noSession(t, b)
	})
	for _, c := range []struct {
		name string
		b    oidctest.Behaviour
	}{
		{"wrong nonce", oidctest.Behaviour{WrongNonce: true}},
		{"expired ID token", oidctest.Behaviour{IDTokenLifetime: -time.Minute}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.Set(c.b)
			defer p.Set(oidctest.Behaviour{})
			b := newBrowser(t, s.URL())
			if got := authError(t, b.submit(t, b.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)); got != "oidc_failed" {
				t.Errorf("auth_error %q", got)
			}
			noSession(t, b)
		})
	}
}

func TestOIDCStartAnswers(t *testing.T) {
	s, _ := startOIDC(t, func(c *server.Config) { c.OIDCAddrBurst = 3; c.OIDCAddrEvery = time.Hour })
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(s.URL() + "/api/v1/auth/oidc/test/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if resp.StatusCode != 302 || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || q.Get("nonce") == "" || q.Get("redirect_uri") != s.URL()+"/api/v1/auth/oidc/test/callback" {
		t.Fatalf("start: %d %s", resp.StatusCode, loc)
	}
	var binding *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "tickwire_oidc" {
			binding = c
		}
	}
	if binding == nil || !binding.HttpOnly || binding.SameSite != http.SameSiteLaxMode || binding.MaxAge != 600 {
		t.Errorf("binding cookie: %+v", binding)
	}
	st, body, _ := servertest.Call(t, nil, "GET", s.URL()+"/api/v1/auth/oidc/nope/start", "", nil)
	wantStatusCode(t, "unknown provider", st, body, 404, "not_found")
	st, body, _ = servertest.Call(t, noFollow, "GET", s.URL()+"/api/v1/auth/oidc/test/start?return_to=//evil.example", "", nil)
	wantStatusCode(t, "return_to elsewhere", st, body, 400, "invalid_request")
	for range 2 {
		resp, _ := noFollow.Get(s.URL() + "/api/v1/auth/oidc/test/start")
		resp.Body.Close()
	}
	st, body, h := servertest.Call(t, noFollow, "GET", s.URL()+"/api/v1/auth/oidc/test/start", "", nil)
	wantStatusCode(t, "past the address budget", st, body, 429, "rate_limited")
	if h.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

func wantStatusCode(t *testing.T, what string, st int, body map[string]any, status int, code string) {
	t.Helper()
	if st != status || body["error"] != code {
		t.Errorf("%s: %d %v, want %d %s", what, st, body, status, code)
	}
}

func TestOIDCPendingStatesBounded(t *testing.T) {
	s, _ := startOIDC(t, func(c *server.Config) { c.OIDCMaxPending = 2 })
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := range 2 {
		st, body, _ := servertest.Call(t, noFollow, "GET", s.URL()+"/api/v1/auth/oidc/test/start", "", nil)
		servertest.MustStatus(t, "start "+string(rune('1'+i)), st, 302, body)
	}
	st, body, _ := servertest.Call(t, noFollow, "GET", s.URL()+"/api/v1/auth/oidc/test/start", "", nil)
	wantStatusCode(t, "past --oidc-max-pending", st, body, 429, "rate_limited")
}

func TestOIDCProviderDownAtStart(t *testing.T) {
	// A port that nothing listens on, where the provider will come up later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := servertest.Start(t, func(c *server.Config) {
		c.OIDC = []oidc.Config{{Name: "test", DisplayName: "Test ID", Issuer: "http://" + addr, ClientID: "tickwire", ClientSecret: oidcSecret}}
		c.OIDCRetry = 200 * time.Millisecond
		c.OIDCTimeout = 2 * time.Second
	})
	st, body, _ := servertest.Call(t, nil, "GET", s.URL()+"/api/v1/auth/oidc/test/start", "", nil)
	wantStatusCode(t, "provider down", st, body, 503, "provider_unavailable")
	// The rest of the server is unharmed.
	st, body, _ = servertest.Call(t, nil, "POST", s.URL()+"/api/v1/auth/guest", "", map[string]string{})
	servertest.MustStatus(t, "guest while the provider is down", st, 200, body)
	p, err := oidctest.Start(addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	defer p.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	servertest.Eventually(t, 5*time.Second, "the provider used again after its return", func() bool {
		st, _, _ := servertest.Call(t, noFollow, "GET", s.URL()+"/api/v1/auth/oidc/test/start", "", nil)
		return st == 302
	})
}

func TestOIDCLinking(t *testing.T) {
	s, _ := startOIDC(t, nil)
	hc := &http.Client{}
	access, _ := servertest.SignUp(t, hc, s.URL(), "carol", "carol-password")
	b := newBrowser(t, s.URL())
	link := func(b *browser, access string) string {
		t.Helper()
		st, body, _ := servertest.Call(t, b.hc, "POST", s.URL()+"/api/v1/me/identities/test", access, nil)
		servertest.MustStatus(t, "link", st, 200, body)
		return body["url"].(string)
	}
	follow := func(b *browser, u, user, pw string) *url.URL {
		t.Helper()
		resp, err := b.hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return b.submit(t, resp.Request.URL, user, pw, false)
	}
	// Followed in another browser, the link URL links nothing.
	if got := authError(t, follow(newBrowser(t, s.URL()), link(b, access), "alice", "alice-pw")); got != "oidc_state" {
		t.Errorf("link URL in another browser: %q", got)
	}
	if l := follow(b, link(b, access), "alice", "alice-pw"); l.Fragment != "linked=test" {
		t.Fatalf("link landed on %s", l)
	}
	st, me, _ := servertest.Call(t, nil, "GET", s.URL()+"/api/v1/me", access, nil)
	servertest.MustStatus(t, "me", st, 200, me)
	if ids, _ := me["identities"].([]any); len(ids) != 1 {
		t.Fatalf("identities after link: %v", me["identities"])
	}
	// Signing in with the identity now reaches carol.
	b2 := newBrowser(t, s.URL())
	b2.submit(t, b2.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)
	_, p := b2.refresh(t)
	if c := servertest.Claims(t, p["access_token"].(string)); c.Name != "carol" {
		t.Errorf("login with the linked identity reached %q", c.Name)
	}
	// bob's identity makes an account of its own; linking it to carol is identity_taken.
	b3 := newBrowser(t, s.URL())
	b3.submit(t, b3.start(t, "/api/v1/auth/oidc/test/start"), "bob", "bob-pw", false)
	_, bobPair := b3.refresh(t)
	bobAccess := bobPair["access_token"].(string)
	access2, _ := servertest.SignUp(t, hc, s.URL(), "dave", "dave-password")
	b4 := newBrowser(t, s.URL())
	if got := authError(t, follow(b4, link(b4, access2), "bob", "bob-pw")); got != "identity_taken" {
		t.Errorf("linking another account's identity: %q", got)
	}
	// bob's account has no password: its only identity cannot go.
	st, body, _ := servertest.Call(t, nil, "DELETE", s.URL()+"/api/v1/me/identities/test", bobAccess, nil)
	wantStatusCode(t, "unlink the last login method", st, body, 409, "last_login_method")
	// carol has a password: she may unlink, and the identity's next login makes a new account.
	st, body, _ = servertest.Call(t, nil, "DELETE", s.URL()+"/api/v1/me/identities/test", access, nil)
	servertest.MustStatus(t, "unlink", st, 204, body)
	b5 := newBrowser(t, s.URL())
	b5.submit(t, b5.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)
	_, p5 := b5.refresh(t)
	if c := servertest.Claims(t, p5["access_token"].(string)); c.Name == "carol" {
		t.Error("after the unlink the identity still reaches carol")
	}
}

func TestOIDCBannedAccount(t *testing.T) {
	s, _ := startOIDC(t, nil)
	b := newBrowser(t, s.URL())
	b.submit(t, b.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)
	_, p := b.refresh(t)
	name := servertest.Claims(t, p["access_token"].(string)).Name
	if _, err := s.Auth().SetBanned(context.Background(), name, true); err != nil {
		t.Fatal(err)
	}
	b2 := newBrowser(t, s.URL())
	if got := authError(t, b2.submit(t, b2.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)); got != "account_disabled" {
		t.Errorf("banned account: %q", got)
	}
	noSession(t, b2)
}

func TestOIDCRegistrationClosed(t *testing.T) {
	s, _ := startOIDC(t, func(c *server.Config) { c.Registration = server.RegistrationClosed })
	b := newBrowser(t, s.URL())
	if got := authError(t, b.submit(t, b.start(t, "/api/v1/auth/oidc/test/start"), "alice", "alice-pw", false)); got != "registration_closed" {
		t.Errorf("first login with registration closed: %q", got)
	}
	noSession(t, b)
}

func TestOIDCNativeToken(t *testing.T) {
	s, p := startOIDC(t, nil)
	post := func(tok string, hdr ...string) (int, map[string]any) {
		st, body, _ := servertest.Call(t, nil, "POST", s.URL()+"/api/v1/auth/oidc/test/token", "", map[string]string{"id_token": tok}, hdr...)
		return st, body
	}
	good, err := p.IDToken("alice", "tickwire", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st, body := post(good)
	servertest.MustStatus(t, "right audience", st, 200, body)
	if c := servertest.Claims(t, body["access_token"].(string)); c.IDP != "test" {
		t.Errorf("idp = %q", c.IDP)
	}
	wrongAud, _ := p.IDToken("alice", "another-client", 5*time.Minute)
	expired, _ := p.IDToken("alice", "tickwire", -time.Minute)
	for what, tok := range map[string]string{"wrong audience": wrongAud, "expired": expired, "tampered": good[:len(good)-3] + "abc", "garbage": "x.y.z"} {
		st, body := post(tok)
		wantStatusCode(t, what, st, body, 401, "invalid_token")
	}
	st, body = post(good, "Origin", "https://evil.example")
	wantStatusCode(t, "from another site's page", st, body, 403, "forbidden")
}
