package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestSocketTokenTransports(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics, servertest.LogText)
	tok := srv.Guest(t, "trans")
	for _, c := range []struct {
		name      string
		url       string
		header    http.Header
		protocols []string
	}{
		{"Authorization header", srv.WSURL(), servertest.Bearer(tok.AccessToken), []string{wire.Subprotocol}},
		{"bearer subprotocol", srv.WSURL(), nil, []string{wire.Subprotocol, wire.BearerPrefix + tok.AccessToken}},
		{"token query", srv.WSURL() + "?token=" + url.QueryEscape(tok.AccessToken), nil, []string{wire.Subprotocol}},
		{"header before a bad query", srv.WSURL() + "?token=garbage", servertest.Bearer(tok.AccessToken), nil},
		{"subprotocol before a bad query", srv.WSURL() + "?token=garbage", nil, []string{wire.Subprotocol, wire.BearerPrefix + tok.AccessToken}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws, resp, err := servertest.DialRaw(c.url, c.header, c.protocols...)
			if err != nil {
				t.Fatalf("dial: %v (%s)", err, servertest.RespStatus(resp))
			}
			defer ws.Close()
			if len(c.protocols) > 0 {
				if got := resp.Header.Values("Sec-WebSocket-Protocol"); len(got) != 1 || got[0] != wire.Subprotocol {
					t.Fatalf("subprotocol answer = %q, want %q alone", got, wire.Subprotocol)
				}
			}
			for k, vs := range resp.Header {
				for _, v := range vs {
					if strings.Contains(v, tok.AccessToken) {
						t.Fatalf("the token is echoed in %s", k)
					}
				}
			}
			env := servertest.ReadEnvelope(t, ws)
			var w wire.Welcome
			servertest.DecodePayload(t, env, &w)
			if env.T != wire.TypeWelcome || w.Protocol != wire.Protocol || w.Account.Username == "" || w.Exp != servertest.Claims(t, tok.AccessToken).ExpiresAt.Unix() {
				t.Fatalf("welcome = %s %+v", env.T, w)
			}
		})
	}
	t.Run("a bad header is not rescued by a good query", func(t *testing.T) {
		_, resp, err := servertest.DialRaw(srv.WSURL()+"?token="+url.QueryEscape(tok.AccessToken), servertest.Bearer("garbage"))
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("dial = %v (%s), want 401", err, servertest.RespStatus(resp))
		}
	})
}

// TestQueryTokenNeverLogged captures everything the server logs, at debug level, while sockets
// open with ?token=, are refused with it, and close, and looks for the tokens in it.
func TestQueryTokenNeverLogged(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics, servertest.LogText)
	good := srv.Guest(t, "quiet").AccessToken
	bad := good[:len(good)-4] + "AAAA"
	expired := srv.Mint(t, good, time.Now().Add(-time.Hour), time.Minute, "play")

	ws, resp, err := servertest.DialRaw(srv.WSURL()+"?token="+good, nil)
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, servertest.RespStatus(resp))
	}
	servertest.ReadEnvelope(t, ws)
	servertest.WriteEnvelope(t, ws, "no_such_type", 1, nil)
	servertest.ReadEnvelope(t, ws)
	ws.Close()
	for _, c := range []struct {
		query  string
		origin string
	}{{bad, ""}, {expired, ""}, {good, "https://evil.example"}, {"not-a-jwt", ""}} {
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		if _, resp, err := servertest.DialRaw(srv.WSURL()+"?token="+c.query, h); err == nil {
			t.Fatalf("dial with %q was not refused (%s)", c.query, servertest.RespStatus(resp))
		}
	}
	servertest.Eventually(t, 5*time.Second, "socket closed is logged", func() bool { return strings.Contains(srv.Log.String(), "socket closed") })
	logs := srv.Log.String()
	for _, want := range []string{"socket open", "socket refused", "reason=token_expired", "reason=origin"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q; it is:\n%s", want, logs)
		}
	}
	for _, secret := range []string{good, bad, expired, strings.Split(good, ".")[2], strings.Split(expired, ".")[2]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a token appears in the log:\n%s", logs)
		}
	}
}

// wsRefusal dials and returns the HTTP status and JSON error code of a refused upgrade.
func wsRefusal(t *testing.T, url string, h http.Header) (int, string, http.Header) {
	t.Helper()
	ws, resp, err := servertest.DialRaw(url, h, wire.Subprotocol)
	if err == nil {
		ws.Close()
		t.Fatalf("the upgrade was not refused")
	}
	if resp == nil {
		t.Fatalf("no HTTP answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct{ Error, Message string }
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Message == "" {
		t.Fatalf("refusal body %q is not {error, message}", body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("refusal Content-Type = %q", ct)
	}
	return resp.StatusCode, e.Error, resp.Header
}

func TestSocketRefusals(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.MaxConnsPerAcct = 2
		c.MaxConnsPerAddr = 5
		c.MaxConns = 7
	}, servertest.Metrics, servertest.LogText)
	ctx := context.Background()
	tok := srv.Guest(t, "refused").AccessToken
	revoked := srv.Guest(t, "gone").AccessToken
	if err := goclient.New(srv.URL()).Logout(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	banned := srv.Guest(t, "banned")
	if _, err := srv.Auth().SetBanned(ctx, servertest.Claims(t, banned.AccessToken).Name, true); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	sig := []byte(parts[2])
	sig[3] ^= 1
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	// The payload rewritten to claim admin, under the original signature.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"scope":"play host"`, `"scope":"play host admin"`, 1))
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]

	for _, c := range []struct {
		name   string
		header http.Header
		status int
		code   string
		reason string
	}{
		{"no token", nil, 401, "invalid_token", "no_token"},
		{"a malformed token", servertest.Bearer("not.a.jwt"), 401, "invalid_token", "invalid_token"},
		{"an expired token", servertest.Bearer(srv.Mint(t, tok, time.Now().Add(-time.Hour), 15*time.Minute, "play host")), 401, "token_expired", "token_expired"},
		{"a tampered signature", servertest.Bearer(tampered), 401, "invalid_token", "invalid_token"},
		{"a changed payload", servertest.Bearer(forged), 401, "invalid_token", "invalid_token"},
		{"a revoked token", servertest.Bearer(revoked), 401, "token_revoked", "token_revoked"},
		{"a foreign Origin", http.Header{"Authorization": {"Bearer " + tok}, "Origin": {"http://evil.example"}}, 403, "forbidden", "origin"},
		{"a disabled account", servertest.Bearer(banned.AccessToken), 403, "account_disabled", "account_disabled"},
		{"a token without play", servertest.Bearer(srv.Mint(t, tok, time.Now(), time.Minute, "host")), 403, "forbidden", "scope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := srv.Metric(t, "tickwire_socket_refusals_total", `reason="`+c.reason+`"`)
			status, code, _ := wsRefusal(t, srv.WSURL(), c.header)
			if status != c.status || code != c.code {
				t.Fatalf("refused %d %s, want %d %s", status, code, c.status, c.code)
			}
			if after := srv.Metric(t, "tickwire_socket_refusals_total", `reason="`+c.reason+`"`); after != before+1 {
				t.Fatalf("refusals{reason=%s} went %v -> %v", c.reason, before, after)
			}
		})
	}
	t.Run("the server's own Origin passes", func(t *testing.T) {
		ws, resp, err := servertest.DialRaw(srv.WSURL(), http.Header{"Authorization": {"Bearer " + tok}, "Origin": {srv.URL()}})
		if err != nil {
			t.Fatalf("dial: %v (%s)", err, servertest.RespStatus(resp))
		}
		ws.Close()
		servertest.Eventually(t, 5*time.Second, "the socket is gone", func() bool { return srv.Metric(t, "tickwire_sockets_open", "") == 0 })
	})

	t.Run("connection limits", func(t *testing.T) {
		// Per account: 2.
		srv.Dial(t, tok)
		srv.Dial(t, tok)
		status, code, h := wsRefusal(t, srv.WSURL(), servertest.Bearer(tok))
		if status != 429 || code != "rate_limited" || h.Get("Retry-After") == "" {
			t.Fatalf("third socket of an account: %d %s Retry-After %q", status, code, h.Get("Retry-After"))
		}
		// Per address: 5, all from 127.0.0.1.
		for i := range 3 {
			srv.Dial(t, srv.Guest(t, "addr"+string(rune('a'+i))).AccessToken)
		}
		if status, code, _ := wsRefusal(t, srv.WSURL(), servertest.Bearer(srv.Guest(t, "addrx").AccessToken)); status != 429 || code != "rate_limited" {
			t.Fatalf("sixth socket of an address: %d %s", status, code)
		}
		if n := srv.Metric(t, "tickwire_socket_refusals_total", `reason="limit_address"`); n != 1 {
			t.Fatalf("refusals{limit_address} = %v", n)
		}
		if n := srv.Metric(t, "tickwire_sockets_open", ""); n != 5 {
			t.Fatalf("sockets_open = %v, want 5", n)
		}
	})
}

func TestSocketServerWideLimit(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.MaxConns = 2 }, servertest.Metrics, servertest.LogText)
	srv.Dial(t, srv.Guest(t, "one").AccessToken)
	srv.Dial(t, srv.Guest(t, "two").AccessToken)
	if status, code, _ := wsRefusal(t, srv.WSURL(), servertest.Bearer(srv.Guest(t, "three").AccessToken)); status != 429 || code != "rate_limited" {
		t.Fatalf("third socket of the server: %d %s", status, code)
	}
	if n := srv.Metric(t, "tickwire_socket_refusals_total", `reason="limit_server"`); n != 1 {
		t.Fatalf("refusals{limit_server} = %v", n)
	}
}

// TestSocketOriginAllowlist: --origins is matched exactly; a host that merely starts with an
// allowed one is foreign.
func TestSocketOriginAllowlist(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.Origins = []string{"https://allowed.example"} }, servertest.Metrics, servertest.LogText)
	tok := srv.Guest(t, "origin").AccessToken
	for origin, ok := range map[string]bool{
		"https://allowed.example":                      true,
		"https://allowed.example.evil.example":         false,
		"https://evil.example/https://allowed.example": false,
		"http://allowed.example":                       false,
		"https://sub.allowed.example":                  false,
		"null":                                         false,
		srv.URL():                                      false, // the server's own origin is not listed
	} {
		h := http.Header{"Authorization": {"Bearer " + tok}, "Origin": {origin}}
		if ok {
			ws, resp, err := servertest.DialRaw(srv.WSURL(), h)
			if err != nil {
				t.Fatalf("%s: %v (%s)", origin, err, servertest.RespStatus(resp))
			}
			ws.Close()
			continue
		}
		if status, code, _ := wsRefusal(t, srv.WSURL(), h); status != 403 || code != "forbidden" {
			t.Fatalf("%s: %d %s, want 403 forbidden", origin, status, code)
		}
	}
}

func TestSocketCompressionIsOff(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics, servertest.LogText)
	d := websocket.Dialer{EnableCompression: true}
	ws, resp, err := d.Dial(srv.WSURL(), servertest.Bearer(srv.Guest(t, "zip").AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("the server negotiated %q", ext)
	}
}

func TestPlainGetOnWSIsAJSONError(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics, servertest.LogText)
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/ws", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Guest(t, "plain").AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"error":"invalid_request"`) {
		t.Fatalf("GET /ws = %d %s", resp.StatusCode, body)
	}
}
