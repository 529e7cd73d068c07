package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/store"
)

func TestMatchesMakeTheLeaderboard(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "ben", "cat"} {
		if err := db.CreateAccount(ctx, auth.Account{ID: "id-" + name, Username: name, Scopes: []string{"play"}, CreatedAt: time.Now()}, ""); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	score := func(name string, n int) game.Score { return game.Score{AccountID: "id-" + name, Name: name, Score: n} }
	matches := []game.Match{
		{LobbyID: "l1", Game: "arena", Started: t0, Ended: t0.Add(time.Minute), Scores: []game.Score{score("ann", 5), score("ben", 3), score("cat", 3)}},
		{LobbyID: "l1", Game: "arena", Started: t0.Add(2 * time.Minute), Ended: t0.Add(3 * time.Minute), Scores: []game.Score{score("ben", 4), score("ann", 2)}},
		{LobbyID: "l2", Game: "arena", Started: t0.Add(4 * time.Minute), Ended: t0.Add(4*time.Minute + 1500*time.Millisecond), Scores: []game.Score{score("cat", 0)}},
	}
	for _, m := range matches {
		if err := db.RecordMatch(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("the leaderboard sums each account's rounds", func(t *testing.T) {
		rows, err := db.Leaderboard(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.LeaderRow{
			{Username: "ann", Total: 7, Matches: 2, Wins: 1, Best: 5},
			{Username: "ben", Total: 7, Matches: 2, Wins: 1, Best: 4},
			{Username: "cat", Total: 3, Matches: 2, Wins: 0, Best: 3},
		}
		if len(rows) != len(want) {
			t.Fatalf("rows = %+v", rows)
		}
		for i := range want {
			if rows[i] != want[i] {
				t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
			}
		}
		if rows, _ := db.Leaderboard(ctx, 1); len(rows) != 1 {
			t.Errorf("limit 1 gave %d rows", len(rows))
		}
	})
	t.Run("an account's matches, newest first, with place and length", func(t *testing.T) {
		rows, err := db.MatchesOf(ctx, "id-cat", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("rows = %+v", rows)
		}
		if r := rows[0]; r.Lobby != "l2" || r.Players != 1 || r.Score != 0 || r.Place != 1 || r.DurationMS != 1500 {
			t.Errorf("newest = %+v", r)
		}
		if r := rows[1]; r.Lobby != "l1" || r.Game != "arena" || r.Players != 3 || r.Score != 3 || r.Place != 2 ||
			!r.StartedAt.Equal(t0) || !r.EndedAt.Equal(t0.Add(time.Minute)) || r.DurationMS != 60000 {
			t.Errorf("oldest = %+v (a tie for second shares place 2)", r)
		}
		if rows, _ := db.MatchesOf(ctx, "id-nobody", 10); len(rows) != 0 {
			t.Errorf("an account with no rounds has %d", len(rows))
		}
	})
	t.Run("results survive a reopen", func(t *testing.T) {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db, err = store.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if rows, _ := db.MatchesOf(ctx, "id-ann", 10); len(rows) != 2 {
			t.Errorf("ann has %d matches after a reopen", len(rows))
		}
	})
}

func TestARoundRecordedTwiceUnderItsKeyCountsOnce(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	round := func(key string) game.Match {
		return game.Match{Key: key, LobbyID: "l1", Game: "arena", Started: t0, Ended: t0.Add(time.Minute),
			Scores: []game.Score{{AccountID: "id-ann", Name: "ann", Score: 5}}}
	}
	for _, m := range []game.Match{round("k1"), round("k1"), round("k2"), round(""), round("")} {
		if err := db.RecordMatch(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.Leaderboard(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	// k1 once, k2, and the two rounds without a key (as recorded before keys existed).
	if len(rows) != 1 || rows[0].Matches != 4 || rows[0].Total != 20 {
		t.Fatalf("leaderboard %+v, want ann with 4 rounds and 20 points", rows)
	}
	if played, _ := db.MatchesOf(ctx, "id-ann", 10); len(played) != 4 {
		t.Fatalf("%d rounds in ann's history, want 4", len(played))
	}
}
