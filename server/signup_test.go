package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestRegistrationFloodMeetsItsBudget: one address registering as fast as it can makes the
// default burst of 30 accounts, then meets 429 with a Retry-After of at most the refill
// interval; another address still registers, and one interval later the first may again.
func TestRegistrationFloodMeetsItsBudget(t *testing.T) {
	clk := &authClock{now: time.Now()}
	srv := servertest.Start(t, func(c *server.Config) {
		c.Now = clk.Now
		c.HashQueue, c.HashWait = 256, time.Minute // so that only the budget refuses
	})
	flood := servertest.NewClient(t, srv.URL(), "127.0.6.1")
	const n = 60
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := flood.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": fmt.Sprintf("junk%d", i), "password": "a password"})
			statuses[i] = r.Status
			if r.Status == 429 {
				wantRateLimited(t, "a registration past the budget", r, time.Minute)
			}
		})
	}
	wg.Wait()
	made := 0
	for _, st := range statuses {
		switch st {
		case 201:
			made++
		case 429:
		default:
			t.Errorf("a registration answered %d", st)
		}
	}
	if made != 30 {
		t.Fatalf("one address made %d accounts at once, want the burst of 30", made)
	}
	// A refused attempt takes nothing, a bad one takes a try like any other.
	wantRateLimited(t, "a bad registration past the budget", flood.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "x", "password": "y"}), time.Minute)
	servertest.NewClient(t, srv.URL(), "127.0.6.2").Register("elsewhere", "a password")
	clk.Step(time.Minute)
	flood.Register("onemore", "a password")
	wantRateLimited(t, "the next one", flood.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "twomore", "password": "a password"}), time.Minute)
}

// TestSignupsLeaveHashingToLogins: 150 registrations at once from one address (a budget
// large enough to let them all through to the hasher) while other players sign in from
// another address: every login with the right password succeeds.
func TestSignupsLeaveHashingToLogins(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.RegisterAddrBurst = 1000 })
	players := servertest.NewClient(t, srv.URL(), "127.0.7.1")
	for i := range 4 {
		players.Register(fmt.Sprintf("player%d", i), "correct horse")
	}
	flood := servertest.NewClient(t, srv.URL(), "127.0.7.2")
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 150 {
		wg.Go(func() {
			<-start
			r := flood.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": fmt.Sprintf("junk%d", i), "password": "a password"})
			if r.Status != 201 && r.Status != 429 {
				t.Errorf("a flood registration answered %d %s", r.Status, r.Body)
			}
		})
	}
	close(start)
	servertest.Eventually(t, 10*time.Second, "the flood to fill the hashing queue", func() bool {
		_, waiting := srv.Auth().Hasher.InFlight()
		return waiting >= 8
	})
	var logins sync.WaitGroup
	failed := make(chan string, 4)
	for i := range 4 {
		logins.Go(func() {
			r := players.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": fmt.Sprintf("player%d", i), "password": "correct horse"})
			if r.Status != 200 {
				failed <- fmt.Sprintf("player%d: %d %s", i, r.Status, r.Body)
			}
		})
	}
	logins.Wait()
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Errorf("a login during the sign-up flood failed: %s", f)
	}
}

// TestGuestFloodMeetsItsBudget: one address makes the default burst of 30 guests, then meets
// 429 with Retry-After; other addresses are not affected, and one refill later one more guest
// may be made.
func TestGuestFloodMeetsItsBudget(t *testing.T) {
	clk := &authClock{now: time.Now()}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now })
	flood := servertest.NewClient(t, srv.URL(), "127.0.8.1")
	made := 0
	for range 40 {
		r := flood.Do("POST", "/api/v1/auth/guest", "", `{}`)
		if r.Status == 429 {
			wantRateLimited(t, "a guest past the budget", r, 10*time.Second)
			break
		}
		if r.Status != 200 {
			t.Fatalf("guest: %d %s", r.Status, r.Body)
		}
		made++
	}
	if made != 30 {
		t.Fatalf("one address made %d guests before 429, want the burst of 30", made)
	}
	if r := servertest.NewClient(t, srv.URL(), "127.0.8.2").Do("POST", "/api/v1/auth/guest", "", `{}`); r.Status != 200 {
		t.Fatalf("a guest from another address: %d %s", r.Status, r.Body)
	}
	clk.Step(10 * time.Second)
	if r := flood.Do("POST", "/api/v1/auth/guest", "", `{}`); r.Status != 200 {
		t.Fatalf("a guest one refill later: %d %s", r.Status, r.Body)
	}
	servertest.WantError(t, "the next", flood.Do("POST", "/api/v1/auth/guest", "", `{}`), 429, wire.CodeRateLimited)
}

// TestIdleGuestsAreDeletedButTheirResultsStay: a guest that has not signed in for
// --guest-retention is deleted by the periodic sweep, with its sessions (its refresh token no
// longer works), while its match results and the leaderboard stay readable; a guest that
// refreshed meanwhile and a registered account as idle are kept.
func TestIdleGuestsAreDeletedButTheirResultsStay(t *testing.T) {
	clk := &authClock{now: time.Now()}
	srv := servertest.Start(t, func(c *server.Config) {
		c.Now = clk.Now
		c.PurgeInterval = 20 * time.Millisecond
		c.RefreshTTL = 2000 * time.Hour // so that only retention ends the idle guest
		c.SessionMaxAge = 2000 * time.Hour
	})
	h := servertest.NewClient(t, srv.URL(), "")
	guest := func() (servertest.Tokens, string) {
		t.Helper()
		r := h.Do("POST", "/api/v1/auth/guest", "", `{}`)
		if r.Status != 200 {
			t.Fatalf("guest: %d %s", r.Status, r.Body)
		}
		var p servertest.Tokens
		r.Decode(t, &p)
		return p, servertest.Claims(t, p.AccessToken).Subject
	}
	idle, idleID := guest()
	active, activeID := guest()
	memberID := h.Register("member", "correct horse")
	ctx := context.Background()
	if err := srv.DB().RecordMatch(ctx, game.Match{LobbyID: "l1", Game: "arena", Started: clk.Now(), Ended: clk.Now().Add(time.Minute),
		Scores: []game.Score{{AccountID: idleID, Name: "idle-guest", Score: 7}, {AccountID: memberID, Name: "member", Score: 2}}}); err != nil {
		t.Fatal(err)
	}

	clk.Step(700 * time.Hour)
	r := h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": active.RefreshToken})
	if r.Status != 200 {
		t.Fatalf("the active guest's refresh: %d %s", r.Status, r.Body)
	}
	clk.Step(21 * time.Hour) // the idle guest: 721 h since it signed in; the active one 21 h
	servertest.Eventually(t, 10*time.Second, "the idle guest to be deleted", func() bool {
		_, err := srv.DB().AccountByID(ctx, idleID)
		return errors.Is(err, auth.ErrNotFound)
	})
	for _, id := range []string{activeID, memberID} {
		if _, err := srv.DB().AccountByID(ctx, id); err != nil {
			t.Errorf("account %s: %v, want kept", id, err)
		}
	}
	servertest.WantError(t, "the deleted guest's refresh", h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": idle.RefreshToken}), 401, wire.CodeInvalidToken)
	rows, err := srv.DB().MatchesOf(ctx, idleID, 10)
	if err != nil || len(rows) != 1 || rows[0].Score != 7 {
		t.Errorf("the deleted guest's results: %+v %v, want its round", rows, err)
	}
	r = h.Do("GET", "/api/v1/leaderboard", "", nil)
	if r.Status != 200 {
		t.Fatalf("leaderboard after the sweep: %d %s", r.Status, r.Body)
	}
	var board struct {
		Leaders []struct {
			Username string `json:"username"`
			Total    int    `json:"total"`
		} `json:"leaders"`
	}
	r.Decode(t, &board)
	if len(board.Leaders) == 0 || board.Leaders[0].Total != 7 {
		t.Errorf("leaderboard after the sweep: %s, want the deleted guest's 7 points first", r.Body)
	}
}

func TestSignupLimitDefaults(t *testing.T) {
	c := server.DefaultConfig()
	if c.RegisterAddrBurst != 30 || c.RegisterAddrEvery != time.Minute || c.GuestAddrBurst != 30 || c.GuestAddrEvery != 10*time.Second ||
		c.GuestRetention != 720*time.Hour || c.MaxLobbiesPerAddr != 32 {
		t.Errorf("defaults: register %d/%v, guest %d/%v, retention %v, lobbies per address %d", c.RegisterAddrBurst, c.RegisterAddrEvery,
			c.GuestAddrBurst, c.GuestAddrEvery, c.GuestRetention, c.MaxLobbiesPerAddr)
	}
}
