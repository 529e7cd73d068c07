package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
)

func mustAccount(t testing.TB, db *DB, id, name string) {
	t.Helper()
	if err := db.CreateAccount(context.Background(), auth.Account{ID: id, Username: name, Scopes: []string{"play", "host"}, CreatedAt: time.Unix(1, 0)}, "h"); err != nil {
		t.Fatal(err)
	}
}

func mustSession(t testing.TB, db *DB, sid, account, jti string, expires time.Time) {
	t.Helper()
	if err := db.CreateSession(context.Background(), auth.Session{ID: sid, AccountID: account, RefreshJTI: jti, CreatedAt: time.Unix(1, 0), ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
}

func TestAccounts(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustAccount(t, db, "a1", "Alice")
	if err := db.CreateAccount(ctx, auth.Account{ID: "a2", Username: "alice", CreatedAt: time.Unix(1, 0)}, ""); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Errorf("a name taken in another case: %v", err)
	}
	if _, _, err := db.AccountByName(ctx, "bob"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := db.AccountByID(ctx, "zz"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if err := db.SetPasswordHash(ctx, "a1", "h2"); err != nil {
		t.Fatal(err)
	}
	if _, h, _ := db.AccountByName(ctx, "alice"); h != "h2" {
		t.Errorf("hash = %q", h)
	}
	if err := db.SetPasswordHash(ctx, "zz", "h"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("set hash of no one: %v", err)
	}
	if _, err := db.SetDisabled(ctx, "zz", true, time.Unix(1, 0), time.Unix(2, 0)); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("disable no one: %v", err)
	}
}

// TestSetScopes: an account's scopes are replaced whole, and read back by name and by id.
func TestSetScopes(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustAccount(t, db, "a1", "alice")
	mustAccount(t, db, "a2", "bob")
	if err := db.SetScopes(ctx, "a1", []string{"play"}); err != nil {
		t.Fatal(err)
	}
	a, _, err := db.AccountByName(ctx, "alice")
	if err != nil || !slices.Equal(a.Scopes, []string{"play"}) {
		t.Errorf("alice after withholding host: %v %v", a.Scopes, err)
	}
	if b, _ := db.AccountByID(ctx, "a2"); !slices.Equal(b.Scopes, []string{"play", "host"}) {
		t.Errorf("bob's scopes changed too: %v", b.Scopes)
	}
	if err := db.SetScopes(ctx, "a1", []string{"play", "host", "admin"}); err != nil {
		t.Fatal(err)
	}
	if a, _ := db.AccountByID(ctx, "a1"); !slices.Equal(a.Scopes, []string{"play", "host", "admin"}) {
		t.Errorf("alice given host and admin: %v", a.Scopes)
	}
	if err := db.SetScopes(ctx, "zz", []string{"play"}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("set scopes of no one: %v", err)
	}
}

func TestSessionLifecycle(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustAccount(t, db, "a1", "alice")
	mustSession(t, db, "s1", "a1", "j1", time.Unix(1000, 0))

	if ok, err := db.RotateRefresh(ctx, "s1", "j1", "j2", time.Unix(2000, 0), time.Time{}); !ok || err != nil {
		t.Fatalf("first rotation: %v %v", ok, err)
	}
	if ok, _ := db.RotateRefresh(ctx, "s1", "j1", "j3", time.Unix(3000, 0), time.Time{}); ok {
		t.Fatal("a used jti rotated again")
	}
	if ok, _ := db.RotateRefresh(ctx, "nope", "j2", "j3", time.Unix(3000, 0), time.Time{}); ok {
		t.Fatal("an unknown session rotated")
	}
	if _, ended, err := db.EndSession(ctx, "s1", "logout", time.Unix(100, 0), time.Unix(400, 0)); !ended || err != nil {
		t.Fatalf("end: %v %v", ended, err)
	}
	if _, ended, _ := db.EndSession(ctx, "s1", "logout", time.Unix(101, 0), time.Unix(401, 0)); ended {
		t.Fatal("an ended session ended again")
	}
	if ok, _ := db.RotateRefresh(ctx, "s1", "j2", "j3", time.Unix(3000, 0), time.Time{}); ok {
		t.Fatal("an ended session rotated")
	}

	mustSession(t, db, "s2", "a1", "k1", time.Unix(1000, 0))
	mustSession(t, db, "s3", "a1", "k2", time.Unix(1000, 0))
	ended, err := db.SetDisabled(ctx, "a1", true, time.Unix(200, 0), time.Unix(500, 0))
	if err != nil {
		t.Fatal(err)
	}
	if ids := slices.Sorted(maps.Keys(ended)); !slices.Equal(ids, []string{"s2", "s3"}) {
		t.Errorf("ban ended %v, want s2 s3 (s1 was already ended)", ended)
	}
	if err := db.RevokeToken(ctx, "t1", time.Unix(300, 0)); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, "t1", time.Unix(300, 0)); err != nil {
		t.Errorf("revoking twice: %v", err)
	}

	r, err := db.LoadRevoked(ctx, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"s1": time.Unix(400, 0), "s2": time.Unix(500, 0), "s3": time.Unix(500, 0)}
	if len(r.Sessions) != 3 || !r.Tokens["t1"].Equal(time.Unix(300, 0)) || !r.Disabled["a1"] {
		t.Fatalf("revoked = %+v", r)
	}
	for sid, until := range want {
		if !r.Sessions[sid].Equal(until) {
			t.Errorf("%s revoked until %v, want %v", sid, r.Sessions[sid], until)
		}
	}
	if r, _ := db.LoadRevoked(ctx, time.Unix(450, 0)); len(r.Sessions) != 2 || len(r.Tokens) != 0 {
		t.Errorf("revocations in force after 450: %+v", r)
	}

	// Purge: revoked tokens go at their exp; sessions when both the refresh expiry and the
	// revocation have passed.
	if err := db.PurgeExpired(ctx, time.Unix(600, 0)); err != nil {
		t.Fatal(err)
	}
	if n := db.SessionCount(ctx); n != 3 {
		t.Errorf("%d sessions after purging at 600, want 3 (refresh tokens live to 1000)", n)
	}
	if r, _ := db.LoadRevoked(ctx, time.Unix(0, 0)); len(r.Tokens) != 0 {
		t.Errorf("revoked tokens after their exp: %v", r.Tokens)
	}
	if err := db.PurgeExpired(ctx, time.Unix(1001, 0)); err != nil {
		t.Fatal(err)
	}
	if n := db.SessionCount(ctx); n != 1 {
		t.Errorf("%d sessions at 1001, want 1 (s1's rotation moved its expiry to 2000)", n)
	}
	if err := db.PurgeExpired(ctx, time.Unix(2001, 0)); err != nil {
		t.Fatal(err)
	}
	if n := db.SessionCount(ctx); n != 0 {
		t.Errorf("%d sessions after every expiry, want 0", n)
	}
	// Unban keeps the account; the ban's sessions are gone with their expiry.
	if _, err := db.SetDisabled(ctx, "a1", false, time.Unix(1002, 0), time.Unix(1003, 0)); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.LoadRevoked(ctx, time.Unix(0, 0)); len(r.Disabled) != 0 {
		t.Errorf("disabled after unban: %v", r.Disabled)
	}
}
