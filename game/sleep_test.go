package game_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
)

// An empty lobby is one with no member connected: nobody plays and nobody watches. It waits to
// close without ticking, its loop asleep until a join or its next deadline.

func TestAnEmptyLobbySleepsUntilSomeoneJoins(t *testing.T) {
	e := newEnv(t, game.Limits{})
	ctx := context.Background()
	alice := gametest.NewMember("a", "alice")
	l, g := e.create(game.CreateOptions{}, alice)
	e.ticks(3)
	if err := l.Leave(ctx, alice); err != nil {
		t.Fatal(err)
	}
	ticks, fires := l.Stats().Ticks.Load(), e.clk.Fires()
	e.ticks(100) // ten seconds of an empty lobby
	if n := l.Stats().Ticks.Load() - ticks; n != 0 {
		t.Errorf("an empty lobby ticked %d times in 100 periods", n)
	}
	if n := e.clk.Fires() - fires; n != 0 {
		t.Errorf("an empty lobby woke %d times in 100 periods", n)
	}

	bob := gametest.NewMember("b", "bob")
	mustJoin(t, l, bob, false)
	steps := g.snapshot().steps
	e.ticks(1)
	if s := last(t, bob); s.Tick != 4 {
		t.Errorf("a period after bob joined he saw tick %d, want 4: the game went on from where it paused", s.Tick)
	}
	if n := g.snapshot().steps - steps; n != 1 {
		t.Errorf("the first period after the join stepped the game %d times, want 1", n)
	}
	if st := l.Stats(); st.Skipped.Load() != 0 || st.Late.Load() != 0 {
		t.Errorf("the sleep counted as overrun: %d skipped, %d late", st.Skipped.Load(), st.Late.Load())
	}
	e.ticks(5)
	if s := last(t, bob); s.Tick != 9 {
		t.Errorf("after 6 periods bob saw tick %d, want 9", s.Tick)
	}
	noViolations(t, alice, bob)
}

func TestASleepingLobbyStillEndsGracePeriods(t *testing.T) {
	const grace, empty = 3 * time.Second, 10 * time.Second
	e := newEnv(t, game.Limits{Grace: grace, EmptyTimeout: empty})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, g := e.create(game.CreateOptions{}, alice)
	b := mustJoin(t, l, bob, false)
	e.ticks(2)
	l.Disconnect(bob)
	info(t, l) // Disconnect does not wait; this does: bob's grace runs from now
	e.ticks(1) // a tick with alice still there
	l.Disconnect(alice)
	info(t, l)
	fires := e.clk.Fires()

	// Periods go by one at a time, as a ticking lobby would see them; one of bob's grace has
	// gone by already.
	for range int(grace/period) - 2 {
		e.clk.Advance(period)
	}
	if n := len(info(t, l).Seats); n != 2 {
		t.Fatalf("before bob's grace is over %d seats are left, want 2", n)
	}
	e.clk.Advance(period)
	seats := info(t, l).Seats
	if len(seats) != 1 || seats[0].AccountID != "a" {
		t.Fatalf("once bob's grace is over the seats are %+v, want alice's alone", seats)
	}
	if left := g.snapshot().left; len(left) != 1 || left[0] != b.ID {
		t.Errorf("the game saw %v leave, want bob (%d)", left, b.ID)
	}
	// At most once: the check of the seats just before is a command that wakes the loop, and
	// the loop may read the clock after this Advance has moved it, finding the grace over.
	if n := e.clk.Fires() - fires; n > 1 {
		t.Errorf("the sleeping lobby woke %d times to end one grace period, want 1", n)
	}

	// Alice's grace ends a period later, and the lobby closes after the empty timeout, which
	// runs from the last tick anybody saw: each wakes it once more.
	for range int(empty / period) {
		select {
		case <-l.Done():
		default:
			e.clk.Advance(period)
		}
	}
	select {
	case <-l.Done():
	default:
		t.Fatalf("the lobby is still open %v after it emptied", empty)
	}
	if n := e.clk.Fires() - fires; n > 3 {
		t.Errorf("the sleeping lobby woke %d times in all, want 3: two grace periods and its close", n)
	}
}

func TestEmptyLobbiesCostNoWakeups(t *testing.T) {
	const empty = 30 * time.Second
	e := newEnv(t, game.Limits{EmptyTimeout: empty, MaxLobbiesPerAccount: 100})
	ctx := context.Background()
	var lobbies []*game.Lobby
	for i := range 100 {
		if i%2 == 0 {
			// Created from the list's "new lobby" with nobody in it yet.
			l, _, _, err := e.reg.Create(ctx, game.CreateOptions{Name: fmt.Sprint("open ", i)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			lobbies = append(lobbies, l)
			continue
		}
		// Made by a player who left again at once.
		m := gametest.NewMember(fmt.Sprint("p", i), "p")
		l, _ := e.create(game.CreateOptions{Owner: "p"}, m)
		if err := l.Leave(ctx, m); err != nil {
			t.Fatal(err)
		}
		lobbies = append(lobbies, l)
	}
	fires := e.clk.Fires()
	e.ticks(int(empty/period) - 1) // 299 periods of 100 lobbies: 29,900 ticks were they awake
	var ticks uint64
	for _, l := range lobbies {
		ticks += l.Stats().Ticks.Load()
	}
	if n := e.clk.Fires() - fires; n != 0 || ticks != 0 {
		t.Errorf("100 empty lobbies woke %d times and ticked %d times in %d periods, want none", n, ticks, int(empty/period)-1)
	}
	e.ticks(1)
	for i, l := range lobbies {
		select {
		case <-l.Done():
		default:
			t.Fatalf("lobby %d is still open after its empty timeout", i)
		}
	}
	if n := e.clk.Fires() - fires; n != len(lobbies) {
		t.Errorf("closing woke the lobbies %d times, want once each (%d)", n, len(lobbies))
	}
	if n := len(e.reg.All()); n != 0 {
		t.Errorf("%d lobbies still registered", n)
	}
}
