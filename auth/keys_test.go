package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/authtest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestKeyFolderLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := auth.OpenKeySet(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("key folder mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	k := ks.Signing()
	path := filepath.Join(dir, k.ID+".pem")
	fi, err = os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v, mode %v; want 0600", path, err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("key file is not PKCS#8 PEM: %q", b[:40])
	}
	// Opening again reuses the key rather than making another.
	again, err := auth.OpenKeySet(dir)
	if err != nil || again.Signing().ID != k.ID || len(again.IDs()) != 1 {
		t.Errorf("reopened: %v, ids %v", err, again.IDs())
	}
}

func TestRotationKeepsOlderKeysVerifying(t *testing.T) {
	e := newEnv(t, cheap)
	e.register("alice", "correct horse")
	before := e.login("alice", "correct horse")
	first := e.keys.Signing().ID

	k, err := e.keys.Rotate(e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if k.ID <= first || e.keys.Signing().ID != k.ID {
		t.Fatalf("rotated key %s does not sort after %s or does not sign", k.ID, first)
	}
	after := e.login("alice", "correct horse")
	if kidOf(t, after.Access.Token) != k.ID || kidOf(t, before.Access.Token) != first {
		t.Fatalf("tokens signed by the wrong keys")
	}
	for _, p := range []auth.Pair{before, after} {
		if _, err := e.svc.VerifyAccess(p.Access.Token); err != nil {
			t.Errorf("verify: %v", err)
		}
		if _, err := e.svc.Refresh(context.Background(), p.Refresh.Token); err != nil {
			t.Errorf("refresh: %v", err)
		}
	}

	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(e.keys.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(set.Keys))
	}
	for _, jwk := range set.Keys {
		key, ok := e.keys.Lookup(jwk["kid"])
		x, err := base64.RawURLEncoding.DecodeString(jwk["x"])
		if !ok || err != nil || jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" || jwk["alg"] != "EdDSA" || jwk["use"] != "sig" {
			t.Errorf("JWK %v", jwk)
			continue
		}
		if !ed25519.PublicKey(x).Equal(key.Public) {
			t.Errorf("JWK %s: x is not the key's public half", jwk["kid"])
		}
		if _, private := jwk["d"]; private {
			t.Errorf("JWK %s publishes the private key", jwk["kid"])
		}
	}
}

// TestUnknownKidReloadsTheFolderRateLimited: a key rotated in by another process verifies once
// the folder is read again; an unknown kid causes that read at most once per ReloadEvery.
func TestUnknownKidReloadsTheFolderRateLimited(t *testing.T) {
	e := newEnv(t, cheap)
	a := e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	subj := authtest.Subject{AccountID: a.ID, Username: a.Username, SessionID: p.Access.Claims.SID}
	e.keys.ReloadEvery = 10 * time.Second

	// A made-up kid spends this interval's reload.
	bogus := authtest.SignEdDSA(authtest.Header("20990101T000000.000000Z-bogus"), authtest.Claims(subj, e.clk.Now(), time.Minute), e.keys.Signing().Private)
	_, err := e.svc.VerifyAccess(bogus)
	wantCode(t, "made-up kid", err, wire.CodeInvalidToken)

	// Another process (tickwire keys rotate) adds a key.
	other, err := auth.OpenKeySet(e.keys.Dir())
	if err != nil {
		t.Fatal(err)
	}
	k, err := other.Rotate(e.clk.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tok := authtest.SignEdDSA(authtest.Header(k.ID), authtest.Claims(subj, e.clk.Now(), time.Minute), k.Private)

	e.clk.Step(e.keys.ReloadEvery - time.Second)
	_, err = e.svc.VerifyAccess(tok)
	wantCode(t, "new key within the reload interval", err, wire.CodeInvalidToken)
	e.clk.Step(time.Second)
	_, err = e.svc.VerifyAccess(tok)
	wantCode(t, "new key after the reload interval", err, "")
	if e.keys.Signing().ID != k.ID {
		t.Errorf("the rotated-in key does not sign: %s", e.keys.Signing().ID)
	}
	if _, err := e.svc.VerifyAccess(p.Access.Token); err != nil {
		t.Errorf("a token of the older key: %v", err)
	}
}

func TestKeyFolderReloadIsSafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := auth.OpenKeySet(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := ks.Signing()
	second, err := ks.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A rotation in progress elsewhere leaves a dot-file: never read.
	if err := os.WriteFile(filepath.Join(dir, ".half.pem.tmp"), []byte("-----BEGIN"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ks.Reload(); err != nil {
		t.Fatalf("reload with a temporary file: %v", err)
	}
	// Deleting a key file retires the key.
	if err := os.Remove(filepath.Join(dir, first.ID+".pem")); err != nil {
		t.Fatal(err)
	}
	if err := ks.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := ks.Lookup(first.ID); ok {
		t.Error("a deleted key still verifies")
	}
	// A foreign file is an error; the set keeps the keys it had.
	bad := filepath.Join(dir, "foreign.pem")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ks.Reload(); err == nil || !strings.Contains(err.Error(), "foreign.pem") {
		t.Errorf("reload with a foreign file: %v", err)
	}
	if ks.Signing().ID != second.ID {
		t.Errorf("a failed reload changed the signing key")
	}
	if _, err := auth.OpenKeySet(dir); err == nil {
		t.Error("opening a folder with a foreign .pem succeeded")
	}
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	kid, _ := h["kid"].(string)
	return kid
}
