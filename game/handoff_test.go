package game_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
)

// TestAdvanceReturnsAfterTheTickItWokeFor pins down the hand-off every engine test leans on:
// after clock.Advance(period) the lobby has run the tick that came due, whatever the loop was
// doing when the clock moved. Each case repeats its step many times because the moment the
// clock moves, relative to the loop goroutine, differs from one repetition to the next.
func TestAdvanceReturnsAfterTheTickItWokeFor(t *testing.T) {
	const reps = 200
	ctx := context.Background()

	t.Run("right after a command the loop has run", func(t *testing.T) {
		// Join returns as soon as the loop has run it, before the loop has armed its timer
		// again: the clock moves while the loop is between the command and its next wait.
		e := newEnv(t, game.Limits{})
		l, _ := e.create(game.CreateOptions{}, gametest.NewMember("a", "alice"))
		for i := range reps {
			m := gametest.NewMember(fmt.Sprint("s", i), "s")
			mustJoin(t, l, m, true)
			e.ticks(1)
			if n := l.Stats().Ticks.Load(); n != uint64(2*i+1) {
				t.Fatalf("repetition %d, after a join: ticks = %d, want %d", i, n, 2*i+1)
			}
			if err := l.Leave(ctx, m); err != nil {
				t.Fatal(err)
			}
			e.ticks(1)
			if n := l.Stats().Ticks.Load(); n != uint64(2*i+2) {
				t.Fatalf("repetition %d, after a leave: ticks = %d, want %d", i, n, 2*i+2)
			}
		}
	})

	t.Run("right after a command the loop has only received", func(t *testing.T) {
		// Disconnect returns once the loop has taken the command, maybe before running it.
		e := newEnv(t, game.Limits{})
		alice := gametest.NewMember("a", "alice")
		l, _ := e.create(game.CreateOptions{}, alice)
		for i := range reps {
			m := gametest.NewMember(fmt.Sprint("s", i), "s")
			mustJoin(t, l, m, true)
			l.Disconnect(m) // a spectator's seat goes at once
			e.ticks(1)
			if n := l.Stats().Ticks.Load(); n != uint64(i+1) {
				t.Fatalf("repetition %d: ticks = %d, want %d", i, n, i+1)
			}
		}
		if s := last(t, alice); s.Tick != reps {
			t.Errorf("alice saw tick %d, want %d", s.Tick, reps)
		}
	})

	t.Run("right after Create, maybe before the loop runs", func(t *testing.T) {
		// Without a first member Create returns before the lobby's goroutine need have run
		// at all, with its timer armed for a first tick. The lobby is empty, so it takes no
		// tick: the fire reaches a loop that re-arms the timer for its sleep, and Advance
		// returns whatever the loop was doing. A member joining starts the ticks.
		e := newEnv(t, game.Limits{})
		var lobbies []*game.Lobby
		for range reps / 4 {
			l, _, _, err := e.reg.Create(ctx, game.CreateOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			lobbies = append(lobbies, l)
			e.ticks(1)
			for j, l := range lobbies {
				if n := l.Stats().Ticks.Load(); n != 0 {
					t.Fatalf("empty lobby %d ticked %d times", j, n)
				}
			}
		}
		for j, l := range lobbies {
			mustJoin(t, l, gametest.NewMember(fmt.Sprint("p", j), "p"), false)
		}
		e.ticks(1)
		for j, l := range lobbies {
			if n := l.Stats().Ticks.Load(); n != 1 {
				t.Fatalf("lobby %d, a period after a join: ticks = %d, want 1", j, n)
			}
		}
	})
}
