package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestHealthAndReady(t *testing.T) {
	srv := servertest.Start(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		st, body, _ := servertest.Call(t, nil, "GET", srv.URL()+path, "", nil)
		if st != http.StatusOK || body["status"] == nil {
			t.Errorf("%s: %d %v", path, st, body)
		}
	}
}

// TestGracefulShutdown stops a server run through Main as SIGTERM would: open sockets get
// close code 1001, and Main returns 0.
func TestGracefulShutdown(t *testing.T) {
	m := servertest.StartMain(t, []string{"--data", t.TempDir(), "--addr", "127.0.0.1:0"}, nil)
	access, _ := servertest.SignUp(t, nil, m.URL, "leaver", "correct horse")
	ws, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(m.URL), access, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	got := make(chan int, 1)
	go func() { got <- servertest.CloseCode(ws, 10*time.Second) }()
	time.Sleep(50 * time.Millisecond) // let the reader block in ReadMessage
	if code := m.Stop(); code != 0 {
		t.Fatalf("Main exited %d after a graceful stop: %s", code, m.Stderr.String())
	}
	if c := <-got; c != websocket.CloseGoingAway {
		t.Fatalf("socket closed with %d, want 1001", c)
	}
	if _, err := http.Get(m.URL + "/healthz"); err == nil {
		t.Fatal("the server still answers after stopping")
	}
}

// TestLogsHoldNoSecrets runs a session of requests at debug level, with each place a secret can
// travel (bodies, the Authorization header, the refresh cookie, ?token= and the subprotocol on
// /ws, invite codes), and checks that no password, token, cookie or invite reaches the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			data := t.TempDir()
			addAdmin(t, data, "logadmin")
			m := servertest.StartMain(t, []string{"--data", data, "--addr", "127.0.0.1:0", "--log-level", "debug", "--log-format", format}, nil)
			base := m.URL
			const password = "hunter2-secret-pw"
			secrets := []string{password, "admin password"}
			access, refresh := servertest.SignUp(t, nil, base, "logger", password)
			secrets = append(secrets, access, refresh)

			// A wrong password, a refresh by body and one by cookie.
			servertest.Call(t, nil, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "logger", "password": "wrong-" + password})
			secrets = append(secrets, "wrong-"+password)
			st, b, _ := servertest.Call(t, nil, "POST", base+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
			servertest.MustStatus(t, "refresh", st, http.StatusOK, b)
			access2, refresh2 := b["access_token"].(string), b["refresh_token"].(string)
			secrets = append(secrets, access2, refresh2)
			req, _ := http.NewRequest("POST", base+"/api/v1/auth/refresh", nil)
			req.AddCookie(&http.Cookie{Name: "tickwire_refresh", Value: refresh2})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var pair map[string]any
			json.NewDecoder(resp.Body).Decode(&pair)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh by cookie: %d", resp.StatusCode)
			}
			access3 := pair["access_token"].(string)
			secrets = append(secrets, access3, pair["refresh_token"].(string))
			for _, ck := range resp.Cookies() {
				secrets = append(secrets, ck.Value)
			}
			// A reused refresh token, the API, sockets three ways, a bad token on /ws.
			servertest.Call(t, nil, "POST", base+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
			access4, _ := servertest.Login(t, nil, base, "logger", password)
			secrets = append(secrets, access4)
			servertest.Call(t, nil, "GET", base+"/api/v1/me", access4, nil)
			d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
			if ws, _, err := d.Dial(servertest.WSURL(base)+"?token="+access4, nil); err == nil {
				ws.Close()
			} else {
				t.Fatalf("?token= dial: %v", err)
			}
			d.Subprotocols = []string{wire.Subprotocol, wire.BearerPrefix + access4}
			if ws, _, err := d.Dial(servertest.WSURL(base), nil); err == nil {
				ws.Close()
			} else {
				t.Fatalf("subprotocol dial: %v", err)
			}
			if ws, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(base), access4, nil); err == nil {
				ws.Close()
			}
			forged := access4[:len(access4)-4] + "AAAA"
			secrets = append(secrets, forged)
			if ws, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(base)+"?token="+forged, "", nil); err == nil {
				ws.Close()
				t.Fatal("a forged token opened a socket")
			}
			adminTok, _ := servertest.Login(t, nil, base, "logadmin", "admin password")
			secrets = append(secrets, adminTok)
			st, b, _ = servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites", adminTok, nil)
			servertest.MustStatus(t, "invite", st, http.StatusCreated, b)
			inv := b["code"].(string)
			secrets = append(secrets, inv)
			servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites/revoke", adminTok, map[string]string{"code": inv})
			st, _, _ = servertest.Call(t, nil, "POST", base+"/api/v1/auth/logout", access4, map[string]string{})
			servertest.MustStatus(t, "logout", st, http.StatusNoContent, nil)
			if code := m.Stop(); code != 0 {
				t.Fatalf("exit %d", code)
			}

			logs := m.Stderr.String()
			if !strings.Contains(logs, "/api/v1/auth/login") || !strings.Contains(logs, "/ws") {
				t.Fatalf("the requests were not logged at all:\n%s", logs)
			}
			for _, s := range secrets {
				for _, form := range secretForms(s) {
					if strings.Contains(logs, form) {
						t.Errorf("the log holds a secret (%.12s...):\n%s", form, logs)
					}
				}
			}
			if strings.Contains(strings.ToLower(logs), "tickwire_refresh=") || strings.Contains(logs, "Bearer ") {
				t.Errorf("the log holds a cookie or an Authorization header:\n%s", logs)
			}
		})
	}
}

// secretForms is a secret and, for a JWT, its signature alone (a log that cut the token
// would still leak it).
func secretForms(s string) []string {
	out := []string{s}
	if parts := strings.Split(s, "."); len(parts) == 3 {
		out = append(out, parts[2])
	}
	return out
}

// TestMetricsOnItsOwnAddress: with --metrics-addr, /metrics moves off the public listener.
func TestMetricsOnItsOwnAddress(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if st, _, _ := servertest.Call(t, nil, "GET", srv.URL()+"/metrics", "", nil); st != http.StatusNotFound {
		t.Fatalf("/metrics on the public address: %d, want 404", st)
	}
	resp, err := http.Get(srv.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "go_goroutines") {
		t.Fatalf("metrics listener: %d %.200s", resp.StatusCode, b)
	}
}

func TestUserList(t *testing.T) {
	data := t.TempDir()
	for _, n := range []string{"zed", "amy"} {
		if code, _, e := servertest.RunMain(t, "correct horse\n", "user", "add", "--data", data, n); code != 0 {
			t.Fatal(e)
		}
	}
	if code, _, e := servertest.RunMain(t, "", "user", "ban", "--data", data, "zed"); code != 0 {
		t.Fatal(e)
	}
	code, out, _ := servertest.RunMain(t, "", "user", "list", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "amy\t") || !strings.HasSuffix(lines[0], "\tactive") ||
		!strings.HasPrefix(lines[1], "zed\t") || !strings.HasSuffix(lines[1], "\tbanned") {
		t.Fatalf("user list: %d\n%s", code, out)
	}
}

// TestCommandsReadTheConfigFile: maintenance commands find the data folder through --config.
func TestCommandsReadTheConfigFile(t *testing.T) {
	data := t.TempDir()
	file := writeFile(t, "t.toml", "data = \""+filepath.ToSlash(data)+"\"\n")
	if code, _, e := servertest.RunMain(t, "correct horse\n", "user", "add", "--config", file, "viaconfig"); code != 0 {
		t.Fatal(e)
	}
	if _, err := os.Stat(filepath.Join(data, "tickwire.db")); err != nil {
		t.Fatalf("the account did not land in the file's data folder: %v", err)
	}
	_, out, _ := servertest.RunMain(t, "", "user", "list", "--config", file)
	if !strings.HasPrefix(out, "viaconfig\t") {
		t.Fatalf("user list --config: %q", out)
	}
}

// jwtKID returns the kid in a JWT's header.
func jwtKID(t *testing.T, tok string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	json.Unmarshal(b, &h)
	return h.KID
}

// waitFor polls cond every 20 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKeysRotateOnRunningServer: `tickwire keys rotate` on the data folder of a running server
// makes the new key sign within --sync-interval, while tokens of the old key still verify.
func TestKeysRotateOnRunningServer(t *testing.T) {
	data := t.TempDir()
	srv := servertest.Start(t, func(c *server.Config) { c.Data, c.SyncInterval = data, 50*time.Millisecond })
	base := srv.URL()
	old, _ := servertest.SignUp(t, nil, base, "rotator", "correct horse")
	oldKID := jwtKID(t, old)
	// Key ids order by their creation second; rotate in a later second than the first key.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	code, out, errOut := servertest.RunMain(t, "", "keys", "rotate", "--data", data)
	if code != 0 {
		t.Fatalf("keys rotate: %s", errOut)
	}
	newKID := strings.TrimSpace(strings.TrimPrefix(out, "new signing key "))
	if newKID == oldKID || newKID == "" {
		t.Fatalf("rotate printed %q (old kid %s)", out, oldKID)
	}
	waitFor(t, 5*time.Second, "the running server signs with the new key", func() bool {
		tok, _ := servertest.Login(t, nil, base, "rotator", "correct horse")
		return jwtKID(t, tok) == newKID
	})
	if st, b, _ := servertest.Call(t, nil, "GET", base+"/api/v1/me", old, nil); st != http.StatusOK {
		t.Fatalf("a token of the old key no longer verifies: %d %v", st, b)
	}
	_, jwks, _ := servertest.Call(t, nil, "GET", base+"/.well-known/jwks.json", "", nil)
	if s := jwksKIDs(jwks); !strings.Contains(s, oldKID) || !strings.Contains(s, newKID) {
		t.Fatalf("JWKS %s lacks a key", s)
	}
}

func jwksKIDs(m map[string]any) string {
	var out []string
	keys, _ := m["keys"].([]any)
	for _, k := range keys {
		if km, ok := k.(map[string]any); ok {
			out = append(out, km["kid"].(string))
		}
	}
	return strings.Join(out, " ")
}

// TestCommandsReachARunningServer: `sessions revoke` and `user ban` run on the data folder of a
// running server close the account's sockets with 4003 within --sync-interval and refuse its
// tokens; `user unban` lets it back in.
func TestCommandsReachARunningServer(t *testing.T) {
	data := t.TempDir()
	srv := servertest.Start(t, func(c *server.Config) { c.Data, c.SyncInterval = data, 50*time.Millisecond })
	base := srv.URL()

	t.Run("sessions revoke", func(t *testing.T) {
		a1, _ := servertest.SignUp(t, nil, base, "revokee", "correct horse")
		a2, _ := servertest.Login(t, nil, base, "revokee", "correct horse")
		bystander, _ := servertest.SignUp(t, nil, base, "bystander", "correct horse")
		ws, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(base), a1, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		wsB, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(base), bystander, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer wsB.Close()
		code, out, errOut := servertest.RunMain(t, "", "sessions", "revoke", "--data", data, "revokee")
		if code != 0 || !strings.Contains(out, "ended 2 sessions") {
			t.Fatalf("sessions revoke: %d %q %q", code, out, errOut)
		}
		if c := servertest.CloseCode(ws, 5*time.Second); c != wire.CloseRevoked {
			t.Fatalf("socket closed with %d, want 4003", c)
		}
		// The server picks the ended sessions up at its next look at the database: the two may
		// come in different looks, the socket's with the first.
		for _, tok := range []string{a1, a2} {
			servertest.Eventually(t, 5*time.Second, "a revoked session's token is refused", func() bool {
				st, _, _ := servertest.Call(t, nil, "GET", base+"/api/v1/me", tok, nil)
				return st == http.StatusUnauthorized
			})
		}
		if st, _, _ := servertest.Call(t, nil, "GET", base+"/api/v1/me", bystander, nil); st != http.StatusOK {
			t.Fatal("another account's token was refused")
		}
		if c := servertest.CloseCode(wsB, 200*time.Millisecond); c != -1 {
			t.Fatalf("another account's socket closed with %d", c)
		}
	})

	t.Run("user ban and unban", func(t *testing.T) {
		access, _ := servertest.SignUp(t, nil, base, "banned1", "correct horse")
		ws, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(base), access, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if code, _, e := servertest.RunMain(t, "", "user", "ban", "--data", data, "banned1"); code != 0 {
			t.Fatal(e)
		}
		if c := servertest.CloseCode(ws, 5*time.Second); c != wire.CloseRevoked {
			t.Fatalf("socket closed with %d, want 4003", c)
		}
		st, b, _ := servertest.Call(t, nil, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "banned1", "password": "correct horse"})
		if st != http.StatusForbidden {
			t.Fatalf("a banned account logged in: %d %v", st, b)
		}
		if code, _, e := servertest.RunMain(t, "", "user", "unban", "--data", data, "banned1"); code != 0 {
			t.Fatal(e)
		}
		waitFor(t, 5*time.Second, "the unbanned account may use a new token", func() bool {
			st, b, _ := servertest.Call(t, nil, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "banned1", "password": "correct horse"})
			if st != http.StatusOK {
				return false
			}
			st, _, _ = servertest.Call(t, nil, "GET", base+"/api/v1/me", b["access_token"].(string), nil)
			return st == http.StatusOK
		})
	})
}
