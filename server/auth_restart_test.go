package server_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/auth"
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
	h := newAuthHTTP(t, p.url, "")
	admin := h.login("root", "admin password")
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		h.register(name, "correct horse")
	}
	alice := h.login("alice", "correct horse")
	if r := h.do("POST", "/api/v1/auth/logout", alice.AccessToken, `{}`); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	bob := h.login("bob", "correct horse")
	if r := h.do("POST", "/api/v1/admin/accounts/bob/ban", admin.AccessToken, nil); r.status != 204 {
		t.Fatalf("ban: %d", r.status)
	}
	carol := h.login("carol", "correct horse")
	var carol2 pair
	h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": carol.RefreshToken}).decode(t, &carol2)
	thief := newAuthHTTP(t, p.url, "127.0.0.2") // from the same address it would be a retry
	wantError(t, "reuse", thief.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": carol.RefreshToken}), 401, auth.CodeTokenRevoked)
	h.login("dave", "correct horse")
	for _, action := range []string{"ban", "unban"} {
		if r := h.do("POST", "/api/v1/admin/accounts/dave/"+action, admin.AccessToken, nil); r.status != 204 {
			t.Fatalf("%s dave: %d", action, r.status)
		}
	}
	var jwks1 []byte = h.do("GET", "/.well-known/jwks.json", "", nil).body

	p.kill(t)
	p = startProc(t, bin, "--data", data, "--log-level", "warn")
	h = newAuthHTTP(t, p.url, "")

	wantError(t, "logged-out access", h.do("GET", "/api/v1/me", alice.AccessToken, nil), 401, auth.CodeTokenRevoked)
	wantError(t, "logged-out refresh", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": alice.RefreshToken}), 401, auth.CodeTokenRevoked)
	wantError(t, "banned access", h.do("GET", "/api/v1/me", bob.AccessToken, nil), 403, auth.CodeAccountDisabled)
	wantError(t, "banned refresh", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": bob.RefreshToken}), 403, auth.CodeAccountDisabled)
	wantError(t, "banned login", h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "bob", "password": "correct horse"}), 403, auth.CodeAccountDisabled)
	wantError(t, "access after reuse", h.do("GET", "/api/v1/me", carol2.AccessToken, nil), 401, auth.CodeTokenRevoked)
	wantError(t, "refresh after reuse", h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": carol2.RefreshToken}), 401, auth.CodeTokenRevoked)
	h.login("dave", "correct horse") // the unban held
	h.login("alice", "correct horse")
	wantError(t, "accounts held", h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "alice", "password": "correct horse"}), 409, auth.CodeUsernameTaken)
	if r := h.do("GET", "/api/v1/me", admin.AccessToken, nil); r.status != 200 {
		t.Errorf("a live token after the restart: %d %s (the signing key must persist)", r.status, r.body)
	}
	if jwks2 := h.do("GET", "/.well-known/jwks.json", "", nil).body; !bytes.Equal(jwks1, jwks2) {
		t.Errorf("JWKS changed across the restart: %s then %s", jwks1, jwks2)
	}
}
