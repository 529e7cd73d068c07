package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/oidc"
)

func TestOIDCStatesAreSingleUseBoundAndExpire(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	now := time.Unix(1000, 0)
	st := oidc.State{Hash: "h1", Provider: "p", Verifier: "v", Nonce: "n", Intent: oidc.IntentLogin, ReturnTo: "/", Binding: "b", ExpiresAt: now.Add(10 * time.Minute)}
	if err := db.SaveState(ctx, st, now, 2); err != nil {
		t.Fatal(err)
	}
	st2 := st
	st2.Hash, st2.ExpiresAt = "h2", now.Add(time.Second)
	if err := db.SaveState(ctx, st2, now, 2); err != nil {
		t.Fatal(err)
	}
	st3 := st
	st3.Hash = "h3"
	if err := db.SaveState(ctx, st3, now, 2); !errors.Is(err, oidc.ErrTooManyPending) {
		t.Fatalf("third state past the bound of 2: %v", err)
	}
	// Concurrent takes: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := db.TakeState(ctx, "h1", now)
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
				if got.Verifier != "v" || got.Nonce != "n" || got.Binding != "b" || got.Intent != oidc.IntentLogin {
					t.Errorf("taken state: %+v", got)
				}
			} else if !errors.Is(err, auth.ErrNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d takes of one state succeeded", wins)
	}
	if _, err := db.TakeState(ctx, "h2", now.Add(2*time.Second)); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("expired state: %v", err)
	}
	// Expired states do not count against the bound.
	if err := db.SaveState(ctx, st3, now.Add(time.Hour), 1); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}

func TestIdentities(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	now := time.Unix(1000, 0)
	a := auth.Account{ID: "a1", Username: "alice", Scopes: []string{"play"}, CreatedAt: now}
	id := oidc.Identity{Issuer: "https://i", Subject: "s1", Provider: "p", CreatedAt: now}
	if err := db.CreateIdentityAccount(ctx, a, id); err != nil {
		t.Fatal(err)
	}
	if got, err := db.IdentityAccount(ctx, "https://i", "s1"); err != nil || got != "a1" {
		t.Fatalf("identity account: %q %v", got, err)
	}
	b := auth.Account{ID: "a2", Username: "alice2", CreatedAt: now}
	if err := db.CreateIdentityAccount(ctx, b, id); !errors.Is(err, oidc.ErrIdentityTaken) {
		t.Errorf("second account for one identity: %v", err)
	}
	if _, err := db.AccountByID(ctx, "a2"); !errors.Is(err, auth.ErrNotFound) {
		t.Error("a refused identity left its account behind")
	}
	mustAccount(t, db, "a3", "carol")
	if err := db.LinkIdentity(ctx, oidc.Identity{Issuer: "https://i", Subject: "s1", Provider: "p", AccountID: "a3", CreatedAt: now}); !errors.Is(err, oidc.ErrIdentityTaken) {
		t.Errorf("link another's identity: %v", err)
	}
	if err := db.LinkIdentity(ctx, oidc.Identity{Issuer: "https://i", Subject: "s3", Provider: "p", AccountID: "a3", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.UnlinkIdentity(ctx, "a1", "p"); !errors.Is(err, oidc.ErrLastLoginMethod) {
		t.Errorf("unlink a password-less account's only identity: %v", err)
	}
	if err := db.UnlinkIdentity(ctx, "a3", "p"); err != nil {
		t.Errorf("unlink with a password: %v", err)
	}
	if ids, _ := db.Identities(ctx, "a3"); len(ids) != 0 {
		t.Errorf("identities after unlink: %v", ids)
	}
}

// TestALinkedGuestIsKept: a guest that links an identity has a way back in: it is a guest no
// more, and idle-guest retention leaves it alone.
func TestALinkedGuestIsKept(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	long := time.Unix(1000, 0)
	for _, id := range []string{"linked", "plain"} {
		if err := db.CreateAccount(ctx, auth.Account{ID: id, Username: id, Scopes: []string{"play"}, Guest: true, CreatedAt: long}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.LinkIdentity(ctx, oidc.Identity{Issuer: "https://i", Subject: "g1", Provider: "p", AccountID: "linked", CreatedAt: long}); err != nil {
		t.Fatal(err)
	}
	if a, err := db.AccountByID(ctx, "linked"); err != nil || a.Guest {
		t.Fatalf("linked guest: %+v %v, want a guest no more", a, err)
	}
	now := long.Add(10000 * time.Hour)
	if n, err := db.DeleteIdleGuests(ctx, now.Add(-720*time.Hour), now); err != nil || n != 1 {
		t.Fatalf("DeleteIdleGuests: %d %v, want the unlinked guest alone", n, err)
	}
	if _, err := db.AccountByID(ctx, "linked"); err != nil {
		t.Errorf("the linked guest: %v, want kept", err)
	}
}
