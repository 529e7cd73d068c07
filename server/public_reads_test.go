package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/store"
)

// openDataDB opens the server's database file beside it, as another process would, for a
// test to seed cheaply with SQL.
func openDataDB(t *testing.T, data string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, store.FileName)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// seedHistory writes accounts × rounds rows of match history in a few statements.
func seedHistory(t *testing.T, db *sql.DB, accounts, rounds int) {
	t.Helper()
	for _, q := range []string{
		`BEGIN`,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO accounts (id, username, scopes, created_at) SELECT 'seed' || i, 'seed' || i, 'play', 1 FROM n`, accounts),
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO matches (lobby_id, game, started_at, ended_at, players) SELECT 'lseed', 'arena', i, i + 1, %d FROM n`, rounds, accounts),
		`INSERT INTO match_players (match_id, account_id, name, score, place)
			SELECT m.id, a.id, a.username, (m.id * 7 + a.rowid) % 10, 1 FROM matches m, accounts a WHERE a.id LIKE 'seed%' AND m.lobby_id = 'lseed'`,
		`COMMIT`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// TestLeaderboardLoopsDoNotStallAuth: with a long history, a few clients asking for the
// leaderboard in a loop once made a login wait seconds and /readyz fail its probe, as every
// leaderboard summed the whole history on the connections that logins read from.
func TestLeaderboardLoopsDoNotStallAuth(t *testing.T) {
	s := servertest.Start(t, nil)
	cfg := s.Config
	seedHistory(t, openDataDB(t, cfg.Data), 1000, 400) // 400,000 rows of history
	h := servertest.NewClient(t, s.URL(), "")
	h.Register("alice", "correct horse")
	timed := func(f func() int) (time.Duration, int) {
		start := time.Now()
		status := f()
		return time.Since(start), status
	}
	login := func() int {
		return h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"}).Status
	}
	ready := func() int { return h.Do("GET", "/readyz", "", nil).Status }
	// What a login costs here, with nothing else going on: mostly its password hash.
	var alone time.Duration
	for range 3 {
		d, status := timed(login)
		if status != http.StatusOK {
			t.Fatalf("login: %d", status)
		}
		alone = max(alone, d)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[int]int{}
	var going sync.WaitGroup // each loop has had its first answer
	for i := range 3 {
		c := servertest.NewClient(t, s.URL(), fmt.Sprintf("127.0.0.%d", 10+i))
		wg.Add(1)
		going.Add(1)
		go func() {
			defer wg.Done()
			first := true
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v1/leaderboard?limit=100", nil)
				resp, err := c.HTTP.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				mu.Lock()
				answers[resp.StatusCode]++
				mu.Unlock()
				if first {
					first = false
					going.Done()
				}
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	going.Wait()

	var logins, readies []time.Duration
	for range 5 {
		d, status := timed(login)
		if status != http.StatusOK {
			t.Errorf("login during leaderboard loops: %d", status)
		}
		logins = append(logins, d)
		d, status = timed(ready)
		if status != http.StatusOK {
			t.Errorf("/readyz during leaderboard loops: %d", status)
		}
		readies = append(readies, d)
	}
	stop()
	wg.Wait()
	t.Logf("login alone %v; during the loops: logins %v, /readyz %v; leaderboard answers %v", alone, logins, readies, answers)
	if worst := slices.Max(logins); worst > 2*alone+200*time.Millisecond {
		t.Errorf("a login took %v behind leaderboard loops, against %v alone", worst, alone)
	}
	if worst := slices.Max(readies); worst > 150*time.Millisecond {
		t.Errorf("/readyz took %v behind leaderboard loops", worst)
	}
	if answers[http.StatusOK] == 0 {
		t.Errorf("no leaderboard was answered: %v", answers)
	}
}

// TestResultsRetentionPrunesHistoryAndKeepsTotals: rounds older than --results-retention leave
// the history (and a player's list of rounds); the leaderboard still counts them.
func TestResultsRetentionPrunesHistoryAndKeepsTotals(t *testing.T) {
	s := servertest.Start(t, func(c *server.Config) { c.ResultsRetention = 2 * time.Second }, servertest.LogJSON)
	logs := s.Log
	h := servertest.NewClient(t, s.URL(), "")
	id := h.Register("alice", "correct horse")
	tok := h.Login("alice", "correct horse").AccessToken
	ctx := context.Background()
	now := time.Now()
	for i, ended := range []time.Time{now.Add(-48 * time.Hour), now.Add(-time.Hour), now.Add(time.Hour)} {
		m := game.Match{LobbyID: fmt.Sprint("l", i), Game: "arena", Started: ended.Add(-time.Minute), Ended: ended,
			Scores: []game.Score{{AccountID: id, Name: "alice", Score: 10 + i}}}
		if err := s.DB().RecordMatch(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// The job runs every quarter of the retention here; wait for the line it logs.
	deadline := time.Now().Add(10 * time.Second)
	for !containsLogMsg(logs.String(), "pruned results", "rounds", 2) {
		if time.Now().After(deadline) {
			t.Fatalf("no prune logged within 10 s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var mine struct {
		Matches []struct{ Lobby string } `json:"matches"`
	}
	h.Do("GET", "/api/v1/me/matches", tok, nil).Decode(t, &mine)
	if len(mine.Matches) != 1 || mine.Matches[0].Lobby != "l2" {
		t.Errorf("rounds left after pruning = %+v, want only the recent one", mine.Matches)
	}
	var board struct {
		Leaders []store.LeaderRow `json:"leaders"`
	}
	h.Do("GET", "/api/v1/leaderboard", "", nil).Decode(t, &board)
	want := store.LeaderRow{Username: "alice", Total: 33, Matches: 3, Wins: 3, Best: 12}
	if len(board.Leaders) != 1 || board.Leaders[0] != want {
		t.Errorf("leaderboard after pruning = %+v, want %+v", board.Leaders, want)
	}
}

// containsLogMsg reports whether a JSON log holds a line with msg whose key is n.
func containsLogMsg(log, msg, key string, n float64) bool {
	dec := json.NewDecoder(strings.NewReader(log))
	for {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			return false
		}
		if line["msg"] == msg && line[key] == n {
			return true
		}
	}
}

func TestPublicReadSettings(t *testing.T) {
	d := server.DefaultConfig()
	if d.PublicReads != 2 || d.PublicReadWait != 500*time.Millisecond || d.ResultsRetention != 0 || d.LobbyListMax != 500 {
		t.Errorf("defaults: public reads %d, wait %v, retention %v, list max %d", d.PublicReads, d.PublicReadWait, d.ResultsRetention, d.LobbyListMax)
	}
	for _, arg := range []string{"--public-reads=0", "--public-read-wait=0s", "--results-retention=10ms", "--results-retention=-1h", "--lobby-list-max=0"} {
		var fe *server.FlagError
		if _, _, err := server.ParseConfig("serve", []string{arg}, func(string) string { return "" }, io.Discard); !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a flag error", arg, err)
		}
	}
	if c, _, err := server.ParseConfig("serve", []string{"--results-retention=2160h"}, func(string) string { return "" }, io.Discard); err != nil || c.ResultsRetention != 2160*time.Hour {
		t.Errorf("--results-retention=2160h: %v, %v", c.ResultsRetention, err)
	}
}
