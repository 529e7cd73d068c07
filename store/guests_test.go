package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/store"
)

func TestDeleteIdleGuests(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	retention := 720 * time.Hour
	old := now.Add(-retention - time.Hour)
	account := func(id string, guest bool, created time.Time) {
		t.Helper()
		a := auth.Account{ID: id, Username: id, Scopes: []string{"play"}, Guest: guest, CreatedAt: created}
		if err := db.CreateAccount(ctx, a, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSession(ctx, auth.Session{ID: "s-" + id, AccountID: id, RefreshJTI: "j-" + id, CreatedAt: created, ExpiresAt: created.Add(168 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	account("idle", true, old)
	account("fresh", true, now.Add(-time.Hour))
	account("refreshed", true, old)
	if err := db.SeenAccount(ctx, "refreshed", now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.SeenAccount(ctx, "refreshed", old); err != nil { // never moves back
		t.Fatal(err)
	}
	account("member", false, old)
	account("revoked", true, old)
	if _, _, err := db.EndSession(ctx, "s-revoked", "logout", old, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordMatch(ctx, game.Match{LobbyID: "l1", Game: "arena", Started: old, Ended: old.Add(time.Minute),
		Scores: []game.Score{{AccountID: "idle", Name: "idle", Score: 9}, {AccountID: "member", Name: "member", Score: 3}}}); err != nil {
		t.Fatal(err)
	}
	sessions := db.SessionCount(ctx)

	n, err := db.DeleteIdleGuests(ctx, now.Add(-retention), now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("deleted %d guests, want 1", n)
	}
	for id, want := range map[string]bool{"idle": false, "fresh": true, "refreshed": true, "member": true, "revoked": true} {
		_, err := db.AccountByID(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("%s kept = %v (%v), want %v", id, got, err, want)
		} else if !want && !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("%s: %v", id, err)
		}
	}
	if got := db.SessionCount(ctx); got != sessions-1 {
		t.Errorf("sessions %d after the sweep, want %d (the deleted guest's gone)", got, sessions-1)
	}
	rows, err := db.MatchesOf(ctx, "idle", 10)
	if err != nil || len(rows) != 1 || rows[0].Score != 9 {
		t.Errorf("the deleted guest's results: %+v %v, want its one round", rows, err)
	}
	if _, err := db.Leaderboard(ctx, 10); err != nil {
		t.Errorf("leaderboard after the sweep: %v", err)
	}
	// A round recorded for an account already gone is kept too.
	if err := db.RecordMatch(ctx, game.Match{LobbyID: "l2", Game: "arena", Started: now, Ended: now,
		Scores: []game.Score{{AccountID: "idle", Name: "idle", Score: 1}}}); err != nil {
		t.Errorf("recording a round of a deleted account: %v", err)
	}

	// Once its revocation lapses, the revoked guest goes too; a second sweep finds nothing more.
	later := now.Add(2 * time.Minute)
	if n, err := db.DeleteIdleGuests(ctx, later.Add(-retention), later); err != nil || n != 1 {
		t.Fatalf("second sweep deleted %d (%v), want the revoked guest", n, err)
	}
	if n, _ := db.DeleteIdleGuests(ctx, later.Add(-retention), later); n != 0 {
		t.Errorf("third sweep deleted %d", n)
	}
}

func TestDeleteIdleGuestsInBatches(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1200 {
		id := fmt.Sprintf("guest%d", i)
		if err := db.CreateAccount(ctx, auth.Account{ID: id, Username: id, Scopes: []string{"play"}, Guest: true, CreatedAt: old}, ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.DeleteIdleGuests(ctx, old.Add(time.Hour), old.Add(time.Hour))
	if err != nil || n != 1200 {
		t.Fatalf("deleted %d (%v), want all 1200 over several batches", n, err)
	}
}
