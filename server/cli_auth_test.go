package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/authtest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return servertest.RunMain(t, stdin, append([]string{args[0], args[1], "--data", dir}, args[2:]...)...)
	}
	if code, out, errs := run("admin password\n", "user", "add", "--admin", "root"); code != 0 || !strings.Contains(out, "created root") || !strings.Contains(out, "admin") {
		t.Fatalf("user add --admin: %d %q %q", code, out, errs)
	}
	if code, out, errs := run("correct horse", "user", "add", "alice"); code != 0 || strings.Contains(out, "admin") {
		t.Fatalf("user add (no newline): %d %q %q", code, out, errs)
	}
	for _, c := range []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"taken name", "correct horse\n", []string{"user", "add", "ALICE"}, 1, "username_taken"},
		{"short password", "short\n", []string{"user", "add", "bob"}, 1, "invalid_request"},
		{"empty stdin", "", []string{"user", "add", "bob"}, 1, "invalid_request"},
		{"bad name", "correct horse\n", []string{"user", "add", "b b"}, 1, "invalid_request"},
		{"two names", "correct horse\n", []string{"user", "add", "bob", "carol"}, 2, "user add takes one NAME"},
		{"no name", "correct horse\n", []string{"user", "add"}, 2, "one NAME"},
		{"unknown flag", "", []string{"user", "add", "--root", "bob"}, 2, "flag provided but not defined"},
		{"ban of no one", "", []string{"user", "ban", "nobody"}, 1, "not_found"},
		{"unknown subcommand", "", []string{"user", "promote", "alice"}, 2, "unknown user command"},
	} {
		code, _, stderr := run(c.stdin, c.args...)
		if code != c.code || !strings.Contains(stderr, c.stderr) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want %d and one line with %q", c.name, code, stderr, c.code, c.stderr)
		}
	}
	if code, out, _ := run("", "user", "list", ""); code != 2 {
		t.Errorf("user list with an argument: %d %q", code, out)
	}

	// The accounts made offline work on a server; a ban made offline holds when it starts.
	if code, out, errs := run("", "user", "ban", "alice"); code != 0 || !strings.Contains(out, "banned alice") {
		t.Fatalf("user ban: %d %q %q", code, out, errs)
	}
	srv := servertest.Start(t, func(c *server.Config) { c.Data, c.SyncInterval = dir, 100*time.Millisecond })
	h := servertest.NewClient(t, srv.URL(), "")
	root := h.Login("root", "admin password")
	var me struct{ Scopes []string }
	h.Do("GET", "/api/v1/me", root.AccessToken, nil).Decode(t, &me)
	if strings.Join(me.Scopes, " ") != "play host admin" {
		t.Errorf("admin scopes = %v", me.Scopes)
	}
	servertest.WantError(t, "banned offline", h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"}), 403, wire.CodeAccountDisabled)
	// An offline unban on the same folder while the server runs: the login reads the store.
	if code, out, errs := run("", "user", "unban", "alice"); code != 0 || !strings.Contains(out, "unbanned alice") {
		t.Fatalf("user unban: %d %q %q", code, out, errs)
	}
	p := h.Login("alice", "correct horse")
	if r := h.Do("GET", "/api/v1/me", p.AccessToken, nil); r.Status != 200 {
		t.Fatalf("a token of the first login after an offline unban: %d %s", r.Status, r.Body)
	}
	code, out, _ := servertest.RunMain(t, "", "user", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "alice\t") || !strings.Contains(out, "root\t") || !strings.Contains(out, "active") {
		t.Errorf("user list: %d %q", code, out)
	}

	// sessions revoke ends alice's sessions in the store: her refresh token stops working.
	code, out, errs := servertest.RunMain(t, "", "sessions", "revoke", "--data", dir, "alice")
	if code != 0 || !strings.Contains(out, "ended 1 sessions of alice") {
		t.Fatalf("sessions revoke: %d %q %q", code, out, errs)
	}
	servertest.WantError(t, "refresh after sessions revoke", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": p.RefreshToken}), 401, wire.CodeTokenRevoked)
	// ...and the running server learns of it within seconds: her access token dies too.
	waitForStatus(t, h, p.AccessToken, 401)

	// An offline ban of a signed-in account reaches the running server the same way.
	q := h.Login("alice", "correct horse")
	if code, _, errs := run("", "user", "ban", "alice"); code != 0 {
		t.Fatalf("user ban: %s", errs)
	}
	waitForStatus(t, h, q.AccessToken, 403)
}

// waitForStatus polls /api/v1/me with tok until it answers status; the server picks up
// offline changes every --sync-interval.
func waitForStatus(t *testing.T, h *servertest.Client, tok string, status int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := h.Do("GET", "/api/v1/me", tok, nil)
		if r.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/me still answers %d %s, want %d", r.Status, r.Body, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKeysRotateWhileServing: `tickwire keys rotate` adds a key beside a running server; a
// token of the new key verifies there at once (the unknown kid reloads the folder), the
// server signs with it from then on, older tokens keep working, and JWKS lists both.
func TestKeysRotateWhileServing(t *testing.T) {
	srv := servertest.Start(t, nil)
	h := servertest.NewClient(t, srv.URL(), "")
	id := h.Register("alice", "correct horse")
	old := h.Login("alice", "correct horse")
	dir := srv.Auth().Tokens.Keys.Dir()
	data := filepath.Dir(dir)

	code, out, errs := servertest.RunMain(t, "", "keys", "rotate", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "new signing key ") {
		t.Fatalf("keys rotate: %d %q %q", code, out, errs)
	}
	kid := strings.TrimSpace(strings.TrimPrefix(out, "new signing key "))
	fi, err := os.Stat(filepath.Join(dir, kid+".pem"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v", err)
	}
	ks, err := auth.OpenKeySet(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ks.Lookup(kid)
	subj := authtest.Subject{AccountID: id, Username: "alice", SessionID: sidOf(t, old.AccessToken)}
	tok := authtest.SignEdDSA(authtest.Header(kid), authtest.Claims(subj, time.Now(), time.Minute), k.Private)
	if r := h.Do("GET", "/api/v1/me", tok, nil); r.Status != 200 {
		t.Fatalf("a token of the rotated key: %d %s", r.Status, r.Body)
	}
	if r := h.Do("GET", "/api/v1/me", old.AccessToken, nil); r.Status != 200 {
		t.Errorf("a token of the older key: %d %s", r.Status, r.Body)
	}
	fresh := h.Login("alice", "correct horse")
	if got := headerKid(t, fresh.AccessToken); got != kid {
		t.Errorf("the server signs with %s, want the rotated %s", got, kid)
	}
	var set struct{ Keys []map[string]string }
	h.Do("GET", "/.well-known/jwks.json", "", nil).Decode(t, &set)
	if len(set.Keys) != 2 {
		t.Errorf("JWKS lists %d keys, want 2", len(set.Keys))
	}
	if code, _, _ := servertest.RunMain(t, "", "keys", "spin", "--data", data); code != 2 {
		t.Errorf("keys spin: exit %d, want 2", code)
	}
}

func sidOf(t *testing.T, tok string) string {
	t.Helper()
	var c struct {
		SID string `json:"sid"`
	}
	if err := json.NewDecoder(base64Reader(strings.Split(tok, ".")[1])).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.SID
}

func headerKid(t *testing.T, tok string) string {
	t.Helper()
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.NewDecoder(base64Reader(strings.Split(tok, ".")[0])).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}
