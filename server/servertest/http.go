package servertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Tokens is the contract's token pair, as the auth routes answer it.
type Tokens struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

// Client sends raw requests to a server's HTTP API, from a chosen loopback address, so that a
// test sees statuses, headers and bodies exactly as a client does.
type Client struct {
	// Base is the server's base URL, which paths are relative to.
	Base string
	// HTTP is the client the requests go through.
	HTTP *http.Client

	t testing.TB
}

// NewClient returns a client of base whose connections come from the loopback address from
// (like "127.0.0.2"; "" for the default), so that per-address limits can be tested. Its idle
// connections close when the test ends.
func NewClient(t testing.TB, base, from string) *Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &Client{t: t, Base: base, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Client returns a client of the server from the loopback address from ("" for the default).
func (s *Server) Client(t testing.TB, from string) *Client { return NewClient(t, s.URL(), from) }

// Reply is an HTTP answer with its body read (up to 1 MiB).
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	Resp   *http.Response
}

// ErrorCode returns the "error" of a JSON error body, failing when the body is not exactly
// {"error","message"}.
func (r Reply) ErrorCode(t testing.TB) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("error body %q: %v", r.Body, err)
	}
	code, _ := m["error"].(string)
	msg, _ := m["message"].(string)
	if len(m) != 2 || code == "" || msg == "" {
		t.Fatalf("error body %s is not {\"error\",\"message\"}", r.Body)
	}
	return code
}

// Decode decodes the JSON body into v, failing the test when it cannot.
func (r Reply) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
}

// Do sends a request to path with token as its bearer ("" for none). A string body is sent as
// is, anything else as JSON, nil as nothing; mutate may change the request before it goes.
func (c *Client) Do(method, path, token string, body any, mutate ...func(*http.Request)) Reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, m := range mutate {
		m(req)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		c.t.Fatal(err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b, Resp: resp}
}

// Register makes an account with a password and returns its id.
func (c *Client) Register(name, password string) string {
	c.t.Helper()
	r := c.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": name, "password": password})
	if r.Status != http.StatusCreated {
		c.t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	var a struct{ ID string }
	r.Decode(c.t, &a)
	return a.ID
}

// Login signs an account in with its password.
func (c *Client) Login(name, password string) Tokens {
	c.t.Helper()
	r := c.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": name, "password": password})
	if r.Status != http.StatusOK {
		c.t.Fatalf("login %s: %d %s", name, r.Status, r.Body)
	}
	var p Tokens
	r.Decode(c.t, &p)
	return p
}

// Guest signs in a new guest account; guests need no password hashing, so tests may make many.
func (c *Client) Guest(name string) Tokens {
	c.t.Helper()
	body := map[string]string{}
	if name != "" {
		body["name"] = name
	}
	r := c.Do("POST", "/api/v1/auth/guest", "", body)
	if r.Status != http.StatusOK {
		c.t.Fatalf("guest %s: %d %s", name, r.Status, r.Body)
	}
	var p Tokens
	r.Decode(c.t, &p)
	return p
}

// SignUp registers an account and signs it in.
func (c *Client) SignUp(name, password string) Tokens {
	c.t.Helper()
	c.Register(name, password)
	return c.Login(name, password)
}

// WantError fails the test (without stopping it) unless r is an error answer with status
// and code.
func WantError(t testing.TB, what string, r Reply, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d (%s), want %d %s", what, r.Status, r.Body, status, code)
		return
	}
	if got := r.ErrorCode(t); got != code {
		t.Errorf("%s: error %q, want %q", what, got, code)
	}
}

// Call sends a JSON request (body nil for none) with hc (nil for http.DefaultClient) and
// decodes a JSON answer, when there is one, into a map; hdr are header names and values.
func Call(t testing.TB, hc *http.Client, method, url, token string, body any, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		_ = json.Unmarshal(b, &m)
	}
	return resp.StatusCode, m, resp.Header
}

// MustStatus fails the test unless a call answered want.
func MustStatus(t testing.TB, what string, got, want int, body map[string]any) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d (body %v)", what, got, want, body)
	}
}

// SignUp registers an account through the API at base and returns its access and refresh
// tokens, with hc (nil for http.DefaultClient).
func SignUp(t testing.TB, hc *http.Client, base, name, password string) (string, string) {
	t.Helper()
	st, body, _ := Call(t, hc, "POST", base+"/api/v1/auth/register", "", map[string]string{"username": name, "password": password})
	MustStatus(t, "register "+name, st, http.StatusCreated, body)
	return Login(t, hc, base, name, password)
}

// Login signs an account in through the API at base and returns its access and refresh tokens.
func Login(t testing.TB, hc *http.Client, base, name, password string) (string, string) {
	t.Helper()
	st, body, _ := Call(t, hc, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": name, "password": password})
	MustStatus(t, "login "+name, st, http.StatusOK, body)
	return body["access_token"].(string), body["refresh_token"].(string)
}

// Guest signs in a new guest account on the server, from the default loopback address.
func (s *Server) Guest(t testing.TB, name string) Tokens {
	t.Helper()
	return s.Client(t, "").Guest(name)
}
