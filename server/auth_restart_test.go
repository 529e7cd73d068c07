package server_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestRevocationsSurviveSIGKILL: what the API acknowledged (registrations, a logout, a ban,
// an unban, a refresh reuse) holds after the server process is killed with SIGKILL and
// started again on the same data folder.
func TestRevocationsSurviveSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	add := exec.Command(bin, "user", "add", "--data", data, "--admin", "root")
	add.Stdin = strings.NewReader("admin password\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}

	p := startProc(t, bin, "--data", data, "--log-level", "warn")
	h := servertest.NewClient(t, p.url, "")
	admin := h.Login("root", "admin password")
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		h.Register(name, "correct horse")
	}
	alice := h.Login("alice", "correct horse")
	if r := h.Do("POST", "/api/v1/auth/logout", alice.AccessToken, `{}`); r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	bob := h.Login("bob", "correct horse")
	if r := h.Do("POST", "/api/v1/admin/accounts/bob/ban", admin.AccessToken, nil); r.Status != 204 {
		t.Fatalf("ban: %d", r.Status)
	}
	carol := h.Login("carol", "correct horse")
	var carol2 servertest.Tokens
	h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": carol.RefreshToken}).Decode(t, &carol2)
	thief := servertest.NewClient(t, p.url, "127.0.0.2") // from the same address it would be a retry
	servertest.WantError(t, "reuse", thief.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": carol.RefreshToken}), 401, wire.CodeTokenRevoked)
	h.Login("dave", "correct horse")
	for _, action := range []string{"ban", "unban"} {
		if r := h.Do("POST", "/api/v1/admin/accounts/dave/"+action, admin.AccessToken, nil); r.Status != 204 {
			t.Fatalf("%s dave: %d", action, r.Status)
		}
	}
	var jwks1 []byte = h.Do("GET", "/.well-known/jwks.json", "", nil).Body

	p.kill(t)
	p = startProc(t, bin, "--data", data, "--log-level", "warn")
	h = servertest.NewClient(t, p.url, "")

	servertest.WantError(t, "logged-out access", h.Do("GET", "/api/v1/me", alice.AccessToken, nil), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "logged-out refresh", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": alice.RefreshToken}), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "banned access", h.Do("GET", "/api/v1/me", bob.AccessToken, nil), 403, wire.CodeAccountDisabled)
	servertest.WantError(t, "banned refresh", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": bob.RefreshToken}), 403, wire.CodeAccountDisabled)
	servertest.WantError(t, "banned login", h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "bob", "password": "correct horse"}), 403, wire.CodeAccountDisabled)
	servertest.WantError(t, "access after reuse", h.Do("GET", "/api/v1/me", carol2.AccessToken, nil), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "refresh after reuse", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": carol2.RefreshToken}), 401, wire.CodeTokenRevoked)
	h.Login("dave", "correct horse") // the unban held
	h.Login("alice", "correct horse")
	servertest.WantError(t, "accounts held", h.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "alice", "password": "correct horse"}), 409, wire.CodeUsernameTaken)
	if r := h.Do("GET", "/api/v1/me", admin.AccessToken, nil); r.Status != 200 {
		t.Errorf("a live token after the restart: %d %s (the signing key must persist)", r.Status, r.Body)
	}
	if jwks2 := h.Do("GET", "/.well-known/jwks.json", "", nil).Body; !bytes.Equal(jwks1, jwks2) {
		t.Errorf("JWKS changed across the restart: %s then %s", jwks1, jwks2)
	}
}
