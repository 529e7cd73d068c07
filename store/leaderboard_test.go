package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tickwire/tickwire/game"
)

// aggregate is the leaderboard summed from scratch over the history that is left.
func aggregate(t *testing.T, db *DB) []LeaderRow {
	t.Helper()
	rows, err := db.write.Query(`SELECT COALESCE(a.username, MAX(p.name)), SUM(p.score), COUNT(*), SUM(p.place = 1 AND p.score > 0), MAX(p.score)
		FROM match_players p LEFT JOIN accounts a ON a.id = p.account_id GROUP BY p.account_id
		ORDER BY SUM(p.score) DESC, COALESCE(a.username, MAX(p.name)) COLLATE NOCASE`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []LeaderRow
	for rows.Next() {
		var r LeaderRow
		if err := rows.Scan(&r.Username, &r.Total, &r.Matches, &r.Wins, &r.Best); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []LeaderRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: row %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

// randomMatches records n rounds of up to 6 of the accounts p0..p(players-1), with scores that
// tie often.
func randomMatches(t *testing.T, db *DB, n, players int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		m := game.Match{LobbyID: "l", Game: "arena", Started: t0.Add(time.Duration(i) * time.Minute), Ended: t0.Add(time.Duration(i)*time.Minute + 50*time.Second)}
		for _, k := range rng.Perm(players)[:1+rng.IntN(6)] {
			m.Scores = append(m.Scores, game.Score{AccountID: fmt.Sprint("id", k), Name: fmt.Sprint("p", k), Score: rng.IntN(4)})
		}
		if err := db.RecordMatch(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLeaderboardIsKeptNotAggregated(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	const players = 40
	for k := range players {
		mustAccount(t, db, fmt.Sprint("id", k), fmt.Sprint("p", k))
	}
	randomMatches(t, db, 150, players)

	t.Run("the kept standings equal a sum over the whole history", func(t *testing.T) {
		got, err := db.Leaderboard(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "leaderboard", got, aggregate(t, db))
		top, err := db.Leaderboard(ctx, 5)
		if err != nil || len(top) != 5 {
			t.Fatalf("limit 5: %d rows, %v", len(top), err)
		}
		sameRows(t, "top 5", top, got[:5])
	})

	t.Run("the query reads the standings by index, not the history", func(t *testing.T) {
		rows, err := db.public.QueryContext(ctx, "EXPLAIN QUERY PLAN "+publicQueries["leaderboard"], 20)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "match_players") || strings.Contains(joined, "matches") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("plan %q touches the history or sorts", joined)
		}
		if !strings.Contains(joined, "USING INDEX leaderboard_rank") {
			t.Errorf("plan %q does not walk the rank index", joined)
		}
	})

	t.Run("the standings outlive an account row and its history", func(t *testing.T) {
		before, err := db.Leaderboard(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		// A deleted guest's account row goes, and retention prunes the history: the
		// standings keep what they counted.
		if _, err := db.write.ExecContext(ctx, `DELETE FROM accounts WHERE id = 'id7'`); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PruneMatches(ctx, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || n != 150 {
			t.Fatalf("pruned %d rounds (%v), want all 150", n, err)
		}
		var left int
		if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM match_players`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d player rows left (%v)", left, err)
		}
		after, err := db.Leaderboard(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "after deleting p7 and pruning", after, before)
		if !containsName(after, "p7") {
			t.Errorf("p7 left the leaderboard with its account row")
		}
	})
}

func containsName(rows []LeaderRow, name string) bool {
	for _, r := range rows {
		if r.Username == name {
			return true
		}
	}
	return false
}

// TestTheLeaderboardMigrationSumsTheHistory opens a database whose history was recorded before
// the standings were kept: the migration fills them.
func TestTheLeaderboardMigrationSumsTheHistory(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	older := fstest.MapFS{}
	ms, err := migrationsIn(migrations)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version < 7 {
			older["migrations/"+m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	w, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if err := (&DB{write: w}).migrate(ctx, older); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO accounts (id, username, scopes, created_at) VALUES ('a1', 'alice', 'play', 1), ('b1', 'Bob', 'play', 1)`,
		`INSERT INTO matches (id, lobby_id, game, started_at, ended_at, players) VALUES (1, 'l', 'arena', 1, 2, 2), (2, 'l', 'arena', 3, 4, 2)`,
		`INSERT INTO match_players (match_id, account_id, name, score, place) VALUES (1, 'a1', 'alice', 5, 1), (1, 'b1', 'Bob', 2, 2), (2, 'a1', 'alice', 0, 1), (2, 'b1', 'Bob', 0, 1)`,
	} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Leaderboard(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "migrated", got, []LeaderRow{
		{Username: "alice", Total: 5, Matches: 2, Wins: 1, Best: 5},
		{Username: "Bob", Total: 2, Matches: 2, Wins: 0, Best: 2},
	})
	// And it goes on from there.
	if err := db.RecordMatch(ctx, game.Match{LobbyID: "l", Game: "arena", Started: time.Unix(5, 0), Ended: time.Unix(6, 0),
		Scores: []game.Score{{AccountID: "b1", Name: "Bob", Score: 9}}}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Leaderboard(ctx, 10)
	sameRows(t, "after one more round", got, []LeaderRow{
		{Username: "Bob", Total: 11, Matches: 3, Wins: 1, Best: 9},
		{Username: "alice", Total: 5, Matches: 2, Wins: 1, Best: 5},
	})
}

func TestPublicReadsHaveTheirOwnPool(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustAccount(t, db, "a1", "alice")
	db.SetPublicReads(1)
	if got := pragma(t, db.public, "query_only"); got != "1" {
		t.Errorf("public pool query_only = %s", got)
	}
	hold := func(pool *sql.DB, n int) func() {
		t.Helper()
		var conns []*sql.Conn
		for range n {
			c, err := pool.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		return func() {
			for _, c := range conns {
				c.Close()
			}
		}
	}

	t.Run("public reads busy: logins and readiness still read", func(t *testing.T) {
		release := hold(db.public, 1)
		defer release()
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := db.Leaderboard(short, 10); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a public read past the pool's one connection gave %v, want it to wait", err)
		}
		quick, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, _, err := db.AccountByName(quick, "alice"); err != nil {
			t.Errorf("account read behind busy public reads: %v", err)
		}
		if err := db.Ping(quick); err != nil {
			t.Errorf("ping behind busy public reads: %v", err)
		}
	})
	t.Run("auth reads busy: public reads still read", func(t *testing.T) {
		release := hold(db.read, db.read.Stats().MaxOpenConnections)
		defer release()
		quick, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := db.Leaderboard(quick, 10); err != nil {
			t.Errorf("leaderboard behind busy auth reads: %v", err)
		}
	})
}
