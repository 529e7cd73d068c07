package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// authHTTP sends raw requests to a server's HTTP API, from a chosen loopback address, so that
// tests see statuses, headers and bodies exactly as a client does.
type authHTTP struct {
	t    testing.TB
	base string
	c    *http.Client
}

// newAuthHTTP returns a client of base whose connections come from the loopback address from
// (like "127.0.0.2"; "" for the default), so that per-address limits can be tested.
func newAuthHTTP(t testing.TB, base, from string) *authHTTP {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &authHTTP{t: t, base: base, c: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// reply is an HTTP answer with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
	resp   *http.Response
}

// errorCode returns the "error" of a JSON error body, failing when the body is not exactly
// {"error","message"}.
func (r reply) errorCode(t testing.TB) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	code, _ := m["error"].(string)
	msg, _ := m["message"].(string)
	if len(m) != 2 || code == "" || msg == "" {
		t.Fatalf("error body %s is not {\"error\",\"message\"}", r.body)
	}
	return code
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// do sends body (a string is sent as is, anything else as JSON; nil sends nothing).
func (h *authHTTP) do(method, path, token string, body any, mutate ...func(*http.Request)) reply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
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
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		h.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b, resp: resp}
}

// pair is the contract's token pair.
type pair struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

func (h *authHTTP) register(name, password string) string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": name, "password": password})
	if r.status != http.StatusCreated {
		h.t.Fatalf("register %s: %d %s", name, r.status, r.body)
	}
	var a struct{ ID string }
	r.decode(h.t, &a)
	return a.ID
}

func (h *authHTTP) login(name, password string) pair {
	h.t.Helper()
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": name, "password": password})
	if r.status != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	var p pair
	r.decode(h.t, &p)
	return p
}

// wantError fails unless r is an error answer with status and code.
func wantError(t testing.TB, what string, r reply, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d (%s), want %d %s", what, r.status, r.body, status, code)
		return
	}
	if got := r.errorCode(t); got != code {
		t.Errorf("%s: error %q, want %q", what, got, code)
	}
}

// runMain runs the tickwire command line with stdin and returns its exit code and output.
func runMain(t testing.TB, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := server.Main(context.Background(), server.Env{
		Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
	})
	return code, out.String(), errOut.String()
}
