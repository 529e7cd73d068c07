package game_test

import (
	"bytes"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
)

func TestInputsAreAppliedInArrivalOrderAndAcked(t *testing.T) {
	e := newEnv(t, game.Limits{})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, g := e.create(game.CreateOptions{}, alice)
	a, _ := alice.Seat()
	b := mustJoin(t, l, bob, false)

	send := func(m *gametest.Member, s game.Seat, seq uint32) {
		if !l.Input(&s, m, game.Input{Seq: seq, Msg: inputMsg(seq, 0.5)}) {
			t.Fatalf("input %s:%d refused", m.Account, seq)
		}
	}
	send(alice, a, 1)
	send(bob, b, 1)
	send(alice, a, 2)
	send(bob, b, 7)
	send(alice, a, 3)
	if got := g.snapshot().applied; len(got) != 0 {
		t.Fatalf("inputs applied before the tick: %v", got)
	}
	e.ticks(1)
	want := []string{"1:1", "2:1", "1:2", "2:7", "1:3"}
	if got := g.snapshot().applied; !slices.Equal(got, want) {
		t.Fatalf("applied %v, want %v", got, want)
	}
	if s := last(t, alice); s.Tick != 1 || s.Ack != 3 {
		t.Errorf("alice: tick %d ack %d, want 1 and 3", s.Tick, s.Ack)
	}
	if s := last(t, bob); s.Tick != 1 || s.Ack != 7 {
		t.Errorf("bob: tick %d ack %d, want 1 and 7", s.Tick, s.Ack)
	}

	t.Run("the ack stays when no input comes", func(t *testing.T) {
		e.ticks(2)
		if s := last(t, alice); s.Tick != 3 || s.Ack != 3 {
			t.Errorf("alice: tick %d ack %d, want 3 and 3", s.Tick, s.Ack)
		}
	})
	t.Run("every member shares one state buffer, the same every tick", func(t *testing.T) {
		sa, buf := last(t, alice), alice.StateBuffer()
		if buf == nil || bob.StateBuffer() != buf || sa.Fields != 1 {
			t.Errorf("alice and bob got different buffers or %d fields", sa.Fields)
		}
		e.ticks(1)
		if alice.StateBuffer() != buf {
			t.Error("the next tick encoded its state into a new buffer")
		}
	})
	// Clamping the steering is the arena's now (game/arena TestInputDecoding): the engine
	// hands the game each message as it came, whatever its fields hold.
	t.Run("messages reach the game as they were sent", func(t *testing.T) {
		m4, m5 := inputMsg(4, float32(math.NaN())), inputMsg(5, -3)
		l.Input(&a, alice, game.Input{Seq: 4, Msg: m4})
		l.Input(&a, alice, game.Input{Seq: 5, Msg: m5})
		e.ticks(1)
		in := g.snapshot().inputs
		got := in[len(in)-2:]
		if !bytes.Equal(got[0], m4) || !bytes.Equal(got[1], m5) {
			t.Errorf("applied %x, want %x and %x", got, m4, m5)
		}
	})
	t.Run("every step is one period long", func(t *testing.T) {
		if dts := g.snapshot().dts; !slices.Equal(dts, []time.Duration{period}) {
			t.Errorf("step lengths %v", dts)
		}
	})
	noViolations(t, alice, bob)
}

func TestInputQueueIsBoundedPerSeat(t *testing.T) {
	e := newEnv(t, game.Limits{InputQueue: 4})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, g := e.create(game.CreateOptions{}, alice)
	a, _ := alice.Seat()
	b := mustJoin(t, l, bob, false)
	var accepted []bool
	for seq := uint32(1); seq <= 6; seq++ {
		accepted = append(accepted, l.Input(&a, alice, game.Input{Seq: seq, Msg: inputMsg(seq, 0)}))
	}
	if want := []bool{true, true, true, true, false, false}; !slices.Equal(accepted, want) {
		t.Fatalf("accepted %v, want %v", accepted, want)
	}
	if !l.Input(&b, bob, game.Input{Seq: 1, Msg: inputMsg(1, 0)}) {
		t.Fatal("bob's input refused: the bound is per seat")
	}
	if n := l.Stats().InputsDropped.Load(); n != 2 {
		t.Errorf("InputsDropped = %d, want 2", n)
	}
	e.ticks(1)
	if got := g.snapshot().applied; !slices.Equal(got, []string{"1:1", "1:2", "1:3", "1:4", "2:1"}) {
		t.Errorf("applied %v", got)
	}
	if s := last(t, alice); s.Ack != 4 {
		t.Errorf("alice's ack = %d, want 4 (the dropped 5 and 6 never applied)", s.Ack)
	}
	if !l.Input(&a, alice, game.Input{Seq: 7, Msg: inputMsg(7, 0)}) {
		t.Error("the tick did not free alice's queue")
	}
}

func TestInputFromAnotherSeatOrMemberIsRefused(t *testing.T) {
	e := newEnv(t, game.Limits{})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, _ := e.create(game.CreateOptions{}, alice)
	a, _ := alice.Seat()
	mustJoin(t, l, bob, false)
	if l.Input(&a, bob, game.Input{Seq: 1, Msg: inputMsg(1, 0)}) {
		t.Error("bob steered alice's seat")
	}
	if l.Input(&game.Seat{ID: 99}, alice, game.Input{Seq: 1, Msg: inputMsg(1, 0)}) {
		t.Error("input for a seat that does not exist was taken")
	}
	if n := l.Stats().InputsDropped.Load(); n != 0 {
		t.Errorf("refusals counted as dropped: %d", n)
	}
}

func TestOverrunCatchesUpThenSkips(t *testing.T) {
	e := newEnv(t, game.Limits{MaxCatchUp: 3})
	alice := gametest.NewMember("a", "alice")
	l, g := e.create(game.CreateOptions{}, alice)
	st := l.Stats()
	e.ticks(1)
	if st.Ticks.Load() != 1 || st.Late.Load() != 0 || st.LastLateNanos.Load() != 0 {
		t.Fatalf("on time: ticks %d late %d", st.Ticks.Load(), st.Late.Load())
	}

	t.Run("a loop two periods behind runs the missed ticks back to back", func(t *testing.T) {
		e.clk.Advance(3 * period) // ticks 2, 3 and 4 are due; it wakes at 4's time
		if n := st.Ticks.Load(); n != 4 {
			t.Errorf("ticks = %d, want 4", n)
		}
		if n := st.Skipped.Load(); n != 0 {
			t.Errorf("skipped = %d, want 0", n)
		}
		// Tick 2 started two periods late (counted), tick 3 one (not more than one: not
		// counted), tick 4 on time.
		if n := st.Late.Load(); n != 1 {
			t.Errorf("late = %d, want 1", n)
		}
	})

	t.Run("a loop ten periods behind runs three and skips the rest", func(t *testing.T) {
		e.clk.Advance(10 * period) // ticks 5 to 14 are due
		// 9 periods behind: 6 skipped, then the 3 allowed catch-up ticks and the due one.
		if n := st.Skipped.Load(); n != 6 {
			t.Errorf("skipped = %d, want 6", n)
		}
		if n := st.Ticks.Load(); n != 8 {
			t.Errorf("ticks = %d, want 8", n)
		}
		// Three periods late, then two, then one: two more counted.
		if n := st.Late.Load(); n != 1+2 {
			t.Errorf("late = %d, want 3", n)
		}
		if n := st.LastLateNanos.Load(); n != 0 {
			t.Errorf("the last tick started %v late, want on time", time.Duration(n))
		}
		if s := last(t, alice); s.Tick != 8 || alice.Snapshots() != 8 {
			t.Errorf("alice saw tick %d and %d snapshots, want 8 and 8", s.Tick, alice.Snapshots())
		}
		if n := g.snapshot().steps; n != 8 {
			t.Errorf("the game stepped %d times, want 8", n)
		}
	})

	t.Run("then the schedule goes on from where it stands", func(t *testing.T) {
		e.clk.Advance(period / 2)
		if n := st.Ticks.Load(); n != 8 {
			t.Errorf("a tick ran half a period early: %d", n)
		}
		e.clk.Advance(period / 2)
		if n := st.Ticks.Load(); n != 9 || st.LastLateNanos.Load() != 0 {
			t.Errorf("ticks = %d, late by %v; want 9 on time", n, time.Duration(st.LastLateNanos.Load()))
		}
	})
	noViolations(t, alice)
}

func TestSlowTicksAreMeasuredAndTheNextRunsAtOnce(t *testing.T) {
	e := newEnv(t, game.Limits{})
	alice := gametest.NewMember("a", "alice")
	l, g := e.create(game.CreateOptions{}, alice)
	g.mu.Lock()
	g.slowSteps = []time.Duration{3 * period / 2}
	g.mu.Unlock()
	st := l.Stats()
	e.ticks(1)
	// Tick 1 took 1.5 periods, so tick 2 was due half a period before it ended: it ran at
	// once, half a period late, and took no time.
	if n := st.Ticks.Load(); n != 2 {
		t.Fatalf("ticks = %d, want 2", n)
	}
	if d := time.Duration(st.LastLateNanos.Load()); d != period/2 {
		t.Errorf("last tick late by %v, want %v", d, period/2)
	}
	if n := st.Late.Load(); n != 0 {
		t.Errorf("late = %d; half a period is not more than a period late", n)
	}
	if d := time.Duration(st.LastTickNanos.Load()); d != 0 {
		t.Errorf("last tick took %v, want 0", d)
	}
	g.mu.Lock()
	g.slowSteps = []time.Duration{period / 4}
	g.mu.Unlock()
	e.clk.Advance(period / 2) // tick 3 is due
	if d := time.Duration(st.LastTickNanos.Load()); d != period/4 {
		t.Errorf("last tick took %v, want %v", d, period/4)
	}
}
