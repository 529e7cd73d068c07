package game_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestJoinAndLeave(t *testing.T) {
	e := newEnv(t, game.Limits{})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, g := e.create(game.CreateOptions{Name: "den"}, alice)

	t.Run("the creator takes the first seat and is host", func(t *testing.T) {
		s, _ := alice.Seat()
		if s.ID != 1 || !s.Host || s.Spectator || !s.Connected || s.Name != "alice" {
			t.Errorf("alice's seat = %+v", s)
		}
	})
	b := mustJoin(t, l, bob, false)
	t.Run("a joiner is seated, told first, and the others hear of it", func(t *testing.T) {
		if b.ID != 2 || b.Host {
			t.Errorf("bob's seat = %+v", b)
		}
		if !hasEvent(alice, wire.EventPlayerJoined, b.ID, "") {
			t.Errorf("alice's events: %v", alice.EventKinds())
		}
		if hasEvent(bob, wire.EventPlayerJoined, 0, "") {
			t.Error("bob heard of his own join")
		}
		if i := info(t, l); i.Players != 2 || len(i.Seats) != 2 || i.Name != "den" || i.State != game.StateWaiting {
			t.Errorf("info = %+v", i)
		}
		if got := g.snapshot().players; len(got) != 2 || got[1].AccountID != "b" {
			t.Errorf("game players = %+v", got)
		}
	})
	t.Run("players move about while waiting", func(t *testing.T) {
		e.ticks(2)
		if s := last(t, bob); s.Tick != 2 {
			t.Errorf("bob's tick = %d", s.Tick)
		}
	})
	t.Run("a leaver is gone at once and hears nothing more", func(t *testing.T) {
		if err := l.Leave(context.Background(), bob); err != nil {
			t.Fatal(err)
		}
		calls := bob.Calls()
		if !hasEvent(alice, wire.EventPlayerLeft, b.ID, "left") {
			t.Errorf("alice's events: %v", alice.EventKinds())
		}
		if got := g.snapshot().left; !slices.Equal(got, []game.PlayerID{b.ID}) {
			t.Errorf("game Leave calls: %v", got)
		}
		if l.Holds(bob) || l.Input(&b, bob, game.Input{Seq: 9, Msg: inputMsg(9, 0)}) {
			t.Error("bob still holds his seat")
		}
		e.ticks(2)
		if bob.Calls() != calls {
			t.Errorf("bob got %d calls after leaving", bob.Calls()-calls)
		}
		if i := info(t, l); i.Players != 1 {
			t.Errorf("players = %d", i.Players)
		}
	})
	t.Run("leaving twice is harmless", func(t *testing.T) {
		if err := l.Leave(context.Background(), bob); err != nil {
			t.Error(err)
		}
	})
	noViolations(t, alice, bob)
}

func TestFullLobbyRefusesPlayersButNotSpectators(t *testing.T) {
	e := newEnv(t, game.Limits{MaxSpectators: 1})
	l, _ := e.create(game.CreateOptions{MaxPlayers: 2}, gametest.NewMember("a", "alice"))
	mustJoin(t, l, gametest.NewMember("b", "bob"), false)
	_, _, err := l.Join(context.Background(), gametest.NewMember("c", "carol"), false)
	wantCode(t, err, wire.CodeLobbyFull)
	mustJoin(t, l, gametest.NewMember("d", "dan"), true)
	_, _, err = l.Join(context.Background(), gametest.NewMember("e", "erin"), true)
	wantCode(t, err, wire.CodeLobbyFull)
	if i := info(t, l); i.Players != 2 || len(i.Seats) != 3 {
		t.Errorf("players %d, seats %d", i.Players, len(i.Seats))
	}
}

func TestSpectatorsWatchButDoNotPlay(t *testing.T) {
	e := newEnv(t, game.Limits{})
	alice, sam := gametest.NewMember("a", "alice"), gametest.NewMember("s", "sam")
	l, g := e.create(game.CreateOptions{MaxPlayers: 1}, alice)
	s := mustJoin(t, l, sam, true)
	if !s.Spectator || s.Host {
		t.Fatalf("sam's seat = %+v", s)
	}
	if l.Input(&s, sam, game.Input{Seq: 1, Msg: inputMsg(1, 0)}) {
		t.Error("a spectator's input was taken")
	}
	e.ticks(1)
	if snap := last(t, sam); snap.Tick != 1 || snap.Ack != 0 || len(snap.State) == 0 {
		t.Errorf("sam's snapshot = %+v", snap)
	}
	gs := g.snapshot()
	if len(gs.applied) != 0 || gs.joins != 1 {
		t.Errorf("the game saw a spectator: applied %v, joins %d", gs.applied, gs.joins)
	}
	if n := l.Stats().InputsDropped.Load(); n != 0 {
		t.Errorf("a spectator's refused input counted as dropped: %d", n)
	}
	t.Run("a spectator who drops keeps no seat", func(t *testing.T) {
		l.Disconnect(sam)
		if i := info(t, l); len(i.Seats) != 1 {
			t.Errorf("seats = %+v", i.Seats)
		}
	})
}

func TestRejoinWithinTheGracePeriodKeepsTheSeat(t *testing.T) {
	e := newEnv(t, game.Limits{Grace: time.Second})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, g := e.create(game.CreateOptions{}, alice)
	b := mustJoin(t, l, bob, false)
	l.Input(&b, bob, game.Input{Seq: 41, Msg: inputMsg(41, 0)})
	e.ticks(1)
	l.Disconnect(bob)
	i := info(t, l)
	if i.Players != 2 || i.Seats[1].Connected {
		t.Fatalf("after the drop: %+v", i)
	}
	if !hasEvent(alice, wire.EventPlayerDisconnected, b.ID, "") {
		t.Errorf("alice's events: %v", alice.EventKinds())
	}
	calls := bob.Calls()
	e.ticks(9) // 0.9 s of the 1 s grace
	if bob.Calls() != calls {
		t.Error("a dropped member still got calls")
	}
	bob2 := gametest.NewMember("b", "bob")
	b2 := mustJoin(t, l, bob2, true) // asking to spectate does not lose the seat
	if b2.ID != b.ID || b2.Spectator || !b2.Connected {
		t.Fatalf("rejoined seat = %+v, want seat %d back", b2, b.ID)
	}
	if !hasEvent(alice, wire.EventPlayerReconnected, b.ID, "") {
		t.Errorf("alice's events: %v", alice.EventKinds())
	}
	if gs := g.snapshot(); gs.joins != 2 || len(gs.left) != 0 {
		t.Errorf("the game saw the seat change hands: joins %d, left %v", gs.joins, gs.left)
	}
	e.ticks(1)
	if s := last(t, bob2); s.Ack != 0 {
		t.Errorf("ack after the rejoin = %d, want 0: a new connection numbers its inputs anew", s.Ack)
	}
	l.Input(&b2, bob2, game.Input{Seq: 1, Msg: inputMsg(1, 0)})
	e.ticks(5) // past where the grace would have ended
	if s := last(t, bob2); s.Ack != 1 {
		t.Errorf("ack = %d, want 1", s.Ack)
	}
	if i := info(t, l); len(i.Seats) != 2 {
		t.Errorf("seats = %+v", i.Seats)
	}
	noViolations(t, alice, bob, bob2)
}

func TestRejoinAfterTheGracePeriodTakesANewSeat(t *testing.T) {
	e := newEnv(t, game.Limits{Grace: time.Second})
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")
	l, g := e.create(game.CreateOptions{}, alice)
	b := mustJoin(t, l, bob, false)
	l.Disconnect(bob)
	info(t, l)                 // Disconnect does not wait; this does
	e.clk.Advance(time.Second) // a stall as long as the grace: the next tick expires the seat
	if !hasEvent(alice, wire.EventPlayerLeft, b.ID, "timeout") {
		t.Fatalf("alice's events: %v", alice.EventKinds())
	}
	if got := g.snapshot().left; !slices.Equal(got, []game.PlayerID{b.ID}) {
		t.Errorf("game Leave calls: %v", got)
	}
	b2 := mustJoin(t, l, gametest.NewMember("b", "bob"), false)
	if b2.ID == b.ID {
		t.Errorf("the expired seat %d came back", b.ID)
	}
}

func TestANewerConnectionReplacesTheOlder(t *testing.T) {
	e := newEnv(t, game.Limits{})
	alice := gametest.NewMember("a", "alice")
	l, g := e.create(game.CreateOptions{}, alice)
	a, _ := alice.Seat()
	l.Input(&a, alice, game.Input{Seq: 5, Msg: inputMsg(5, 0)})
	alice2 := gametest.NewMember("a", "alice")
	s := mustJoin(t, l, alice2, false)
	if first, _ := alice.Seat(); s.ID != first.ID || !s.Host {
		t.Errorf("seat = %+v", s)
	}
	if !hasEvent(alice, wire.EventKicked, 0, "replaced by a newer connection") {
		t.Errorf("the old connection's events: %v", alice.EventKinds())
	}
	if l.Holds(alice) || !l.Holds(alice2) {
		t.Error("Holds does not follow the seat")
	}
	e.ticks(1)
	if got := g.snapshot().applied; len(got) != 0 {
		t.Errorf("the old connection's queued input was applied: %v", got)
	}
}

func TestHostStartsAndKicks(t *testing.T) {
	e := newEnv(t, game.Limits{})
	ctx := context.Background()
	alice, bob, carol := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob"), gametest.NewMember("c", "carol")
	l, g := e.create(game.CreateOptions{}, alice)
	b := mustJoin(t, l, bob, false)
	c := mustJoin(t, l, carol, false)
	var d game.Seat

	t.Run("only the host starts a round, once", func(t *testing.T) {
		wantCode(t, l.Start(ctx, bob), wire.CodeForbidden)
		if err := l.Start(ctx, alice); err != nil {
			t.Fatal(err)
		}
		if i := info(t, l); i.State != game.StateRunning || g.snapshot().rounds != 1 {
			t.Errorf("state %s, rounds %d", i.State, g.snapshot().rounds)
		}
		if !slices.Contains(bob.EventKinds(), wire.EventState) {
			t.Errorf("bob's events: %v", bob.EventKinds())
		}
		wantCode(t, l.Start(ctx, alice), wire.CodeInvalidRequest)
	})
	t.Run("only the host kicks, and not itself", func(t *testing.T) {
		wantCode(t, l.Kick(ctx, bob, c.ID), wire.CodeForbidden)
		a, _ := alice.Seat()
		wantCode(t, l.Kick(ctx, alice, a.ID), wire.CodeInvalidRequest)
		wantCode(t, l.Kick(ctx, alice, 99), wire.CodeNotFound)
	})
	t.Run("a kicked player is out and told so", func(t *testing.T) {
		if err := l.Kick(ctx, alice, b.ID); err != nil {
			t.Fatal(err)
		}
		if !hasEvent(bob, wire.EventKicked, 0, "kicked by the host") {
			t.Errorf("bob's events: %v", bob.EventKinds())
		}
		if !hasEvent(carol, wire.EventPlayerLeft, b.ID, "kicked") {
			t.Errorf("carol's events: %v", carol.EventKinds())
		}
		if l.Holds(bob) || l.Input(&b, bob, game.Input{Seq: 1, Msg: inputMsg(1, 0)}) {
			t.Error("bob still holds his seat")
		}
	})
	t.Run("a kicked account may not walk back in", func(t *testing.T) {
		for _, spectate := range []bool{false, true} {
			_, _, err := l.Join(ctx, gametest.NewMember("b", "bob"), spectate)
			if !wire.IsCode(err, wire.CodeForbidden) || err != game.ErrKicked {
				t.Errorf("spectate=%v: err = %v, want ErrKicked", spectate, err)
			}
		}
		d = mustJoin(t, l, gametest.NewMember("d", "dan"), false)
	})
	t.Run("the host's place passes on when it leaves", func(t *testing.T) {
		if err := l.Leave(ctx, alice); err != nil {
			t.Fatal(err)
		}
		i := info(t, l)
		if len(i.Seats) != 2 || !i.Seats[0].Host || i.Seats[0].ID != c.ID || i.Seats[1].Host {
			t.Errorf("seats = %+v", i.Seats)
		}
		if !hasEvent(carol, wire.EventHostChanged, c.ID, "") {
			t.Errorf("carol was not told she is host: %v", carol.EventKinds())
		}
		if err := l.Kick(ctx, carol, d.ID); err != nil {
			t.Errorf("the new host's kick: %v", err)
		}
	})
	noViolations(t, alice, bob, carol)
}

func TestAFinishedRoundInAHostedLobbyWaitsForTheHost(t *testing.T) {
	e := newEnv(t, game.Limits{RoundPause: time.Second})
	e.template.roundTicks = 3
	alice := gametest.NewMember("a", "alice")
	l, _ := e.create(game.CreateOptions{}, alice)
	if err := l.Start(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	e.ticks(3)
	if i := info(t, l); i.State != game.StateFinished {
		t.Fatalf("state = %s, want finished", i.State)
	}
	e.ticks(10)
	if i := info(t, l); i.State != game.StateWaiting {
		t.Fatalf("after the pause: %s, want waiting", i.State)
	}
	e.ticks(50)
	if i := info(t, l); i.State != game.StateWaiting {
		t.Errorf("a hosted lobby started on its own: %s", i.State)
	}
}

func TestEmptyLobbyClosesAfterTheTimeout(t *testing.T) {
	e := newEnv(t, game.Limits{EmptyTimeout: 2 * time.Second, Grace: 10 * time.Second})
	ctx := context.Background()

	t.Run("everyone left", func(t *testing.T) {
		alice := gametest.NewMember("a", "alice")
		l, _ := e.create(game.CreateOptions{}, alice)
		if err := l.Leave(ctx, alice); err != nil {
			t.Fatal(err)
		}
		e.ticks(19)
		if _, err := e.reg.Get(l.ID()); err != nil {
			t.Fatalf("closed early: %v", err)
		}
		e.ticks(1)
		select {
		case <-l.Done():
		default:
			t.Fatal("still open after the timeout")
		}
		_, err := e.reg.Get(l.ID())
		wantCode(t, err, wire.CodeNotFound)
		_, _, err = l.Join(ctx, alice, false)
		wantCode(t, err, wire.CodeLobbyClosed)
		if len(e.reg.List()) != 0 {
			t.Errorf("listed: %+v", e.reg.List())
		}
	})
	t.Run("everyone dropped, seats in their grace", func(t *testing.T) {
		alice := gametest.NewMember("a", "alice")
		l, _ := e.create(game.CreateOptions{}, alice)
		l.Disconnect(alice)
		info(t, l)
		e.ticks(20)
		select {
		case <-l.Done():
		default:
			t.Fatal("a lobby with no one connected stayed open")
		}
		if kinds := alice.EventKinds(); slices.Contains(kinds, wire.EventLobbyClosed) {
			t.Error("a dropped member heard the close")
		}
	})
	t.Run("a spectator keeps it open", func(t *testing.T) {
		alice, sam := gametest.NewMember("a", "alice"), gametest.NewMember("s", "sam")
		l, _ := e.create(game.CreateOptions{}, alice)
		mustJoin(t, l, sam, true)
		if err := l.Leave(ctx, alice); err != nil {
			t.Fatal(err)
		}
		e.ticks(40)
		if _, err := e.reg.Get(l.ID()); err != nil {
			t.Fatalf("closed with a spectator in it: %v", err)
		}
		if err := l.Leave(ctx, sam); err != nil {
			t.Fatal(err)
		}
		e.ticks(20)
		if _, err := e.reg.Get(l.ID()); !wire.IsCode(err, wire.CodeNotFound) {
			t.Errorf("still open: %v", err)
		}
	})
	t.Run("members still in a lobby when the registry closes hear it close", func(t *testing.T) {
		alice := gametest.NewMember("a", "alice")
		l, _ := e.create(game.CreateOptions{}, alice)
		e.reg.Close()
		<-l.Done()
		if !slices.Contains(alice.EventKinds(), wire.EventLobbyClosed) || l.Holds(alice) {
			t.Errorf("alice's events: %v", alice.EventKinds())
		}
	})
}
