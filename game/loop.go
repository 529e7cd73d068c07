package game

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// Run ticks the lobby until ctx ends or the lobby closes.
//
// Ticks follow a fixed schedule from the clock: the lobby's first tick is due one period after
// it was created and each next one a period later, whatever the ticks cost. Between ticks the
// loop runs the commands that other goroutines queue (joins, leaves, host requests). Every tick
// advances the game by exactly one period (a fixed time step), so the game's time is the same
// whatever the load.
//
// Overrun policy: a tick that starts late runs at once. When the loop wakes k whole periods
// behind, it runs the missed ticks back to back, up to Limits.MaxCatchUp of them; ticks missed
// beyond that are skipped and counted in Stats.Skipped, and the schedule moves on. A lobby that
// cannot keep up therefore runs its ticks back to back and slows its game rather than building
// an ever-growing backlog.
//
// A lobby with no member connected does not tick: it sleeps (see sleep) until a join, or until
// a dropped player's grace period or its own empty timeout runs out, and then takes its
// schedule up again at its next instant.
func (l *Lobby) Run(ctx context.Context) {
	defer func() {
		l.close()
		l.timer.Stop() // last: a test clock's Advance returns once the lobby has closed
	}()
	for l.state != StateClosed {
		if l.members == 0 {
			if !l.sleep(ctx) {
				return
			}
			continue
		}
		now := l.clock.Now()
		if now.Before(l.next) {
			// Armed at the instant the tick is due, not after l.next.Sub(now): the clock may
			// move between Now and the arming (see Clock). Create armed it first, so the first
			// tick is due on time even if this goroutine starts late.
			l.timer.ResetAt(l.next)
			select {
			case f := <-l.cmds:
				f()
				continue
			case <-l.timer.C():
			case <-ctx.Done():
				return
			}
			now = l.clock.Now()
		}
		l.tickAt(now)
	}
}

// sleep waits, without ticking, while no member is connected. Nobody plays and nobody watches,
// so a tick would do nothing but look at the clock (a running round pauses): the loop wakes
// only for a command, or for its next deadline, the end of a dropped player's grace period or
// of Limits.EmptyTimeout, which it meets as a tick would have. A member connecting ends the
// sleep; the ticks slept through were not missed, so the schedule resumes at its next instant
// with nothing to catch up (see connect). sleep reports false when ctx has ended.
func (l *Lobby) sleep(ctx context.Context) bool {
	now := l.clock.Now()
	l.expireSeats(now)
	wake := l.emptySince.Add(l.limits.EmptyTimeout)
	if !now.Before(wake) {
		l.state = StateClosed
		return true
	}
	for _, s := range l.seats {
		if end := s.leftAt.Add(l.limits.Grace); s.member == nil && end.Before(wake) {
			wake = end
		}
	}
	l.timer.ResetAt(wake)
	select {
	case f := <-l.cmds:
		f()
	case <-l.timer.C():
	case <-ctx.Done():
		return false
	}
	return true
}

// connect counts a member connecting to a seat; the first one wakes the lobby (see sleep). Runs
// on the loop goroutine.
func (l *Lobby) connect() {
	if l.members++; l.members > 1 {
		return
	}
	// The ticks slept through were not missed: the next is the schedule's next instant. The
	// timer is armed for it here, before the join that connected returns, so that the tick is
	// due on time whatever the loop does next (and a test clock moved after the join fires it).
	if now := l.clock.Now(); !now.Before(l.next) {
		l.next = l.next.Add((now.Sub(l.next)/l.period + 1) * l.period)
	}
	l.timer.ResetAt(l.next)
}

// tickAt runs the tick due at l.next, at now, applying the overrun policy.
func (l *Lobby) tickAt(now time.Time) {
	late := now.Sub(l.next)
	if behind := int64(late / l.period); behind > int64(l.limits.MaxCatchUp) {
		skip := behind - int64(l.limits.MaxCatchUp)
		l.next = l.next.Add(time.Duration(skip) * l.period)
		l.stats.Skipped.Add(uint64(skip))
		late = now.Sub(l.next)
	}
	if late > l.period {
		l.stats.Late.Add(1)
	}
	l.stats.LastLateNanos.Store(int64(max(late, 0)))
	l.stats.Ticks.Add(1)
	l.step(now)
	took := l.clock.Now().Sub(now)
	l.stats.LastTickNanos.Store(int64(took))
	if l.onTick != nil {
		l.onTick(took, max(late, 0))
	}
	l.next = l.next.Add(l.period)
}

// step runs one tick: inputs, seats, the round's phase, the game, and snapshots.
func (l *Lobby) step(now time.Time) {
	l.applyInputs()
	l.expireSeats(now)
	if l.connected() == 0 {
		// Nobody watches: the game waits (a running round pauses) until a member is back or
		// the lobby closes.
		if now.Sub(l.emptySince) >= l.limits.EmptyTimeout {
			l.state = StateClosed
		}
		return
	}
	l.emptySince = now
	l.clockTick = Tick{Tick: l.tick + 1, DT: l.period, Now: now}
	l.game.Tick(&l.clockTick)
	if l.rounds != nil {
		if l.state == StateRunning && l.rounds.RoundOver() {
			l.finishRound(now)
		}
		// A round that starts now takes its first step on the next tick, so that a round
		// of n steps runs from this tick's time to n periods later.
		l.advancePhase(now)
	}
	l.tick++
	if l.tick%l.snapEvery == 0 {
		l.snapshot()
	}
}

// snapshot hands every connected member its snapshot. Each distinct view is encoded once, into
// a buffer reused from snapshot to snapshot: members frame the state (or copy it) during the
// call, so a snapshot allocates nothing, and members who see the same view share its bytes.
func (l *Lobby) snapshot() {
	nviews := 0
	for _, s := range l.seats {
		if s.member == nil {
			continue
		}
		v := l.game.ViewOf(s.player())
		i := 0
		for i < nviews && l.views[i].view != v {
			i++
		}
		if i == nviews {
			if i == len(l.views) {
				l.views = append(l.views, viewState{w: NewStateWriter()})
			}
			vs := &l.views[i]
			vs.view = v
			vs.w.Reset()
			l.game.WriteState(v, vs.w)
			nviews++
		}
		state, fields := l.views[i].w.Bytes()
		s.member.Snapshot(Snapshot{Tick: l.tick, Ack: s.ack, State: state, Fields: fields})
	}
}

// emptyMap is the message of an input frame without d.
var emptyMap = []byte{0x80}

// applyInputs hands the inputs queued since the last tick to the game, in arrival order. An
// input the game refuses is answered to its member; its seq is acknowledged all the same.
func (l *Lobby) applyInputs() {
	batch := l.takeInputs()
	for _, q := range batch {
		msg := l.inbuf[q.off : q.off+q.n : q.off+q.n]
		if len(msg) == 0 {
			msg = emptyMap
		}
		if err := l.game.Input(q.seat.ID, msg); err != nil {
			if ie, ok := q.seat.member.(InputErrors); ok {
				ie.InputError(q.id, refusal(err, wire.CodeInvalidRequest))
			}
		}
		q.seat.ack = q.seq
	}
	clear(batch) // the seats may be given up before the next tick
}

// refusal is err as the protocol's error: a *wire.Error as it is, any other with code and the
// error's text.
func refusal(err error, code string) *wire.Error {
	var e *wire.Error
	if errors.As(err, &e) {
		return e
	}
	return &wire.Error{Code: code, Message: err.Error()}
}

func (l *Lobby) advancePhase(now time.Time) {
	switch l.state {
	case StateWaiting:
		if l.quick && l.players() >= l.autoStart() {
			l.startRound(now)
		}
	case StateFinished:
		if now.Sub(l.stateAt) >= l.limits.RoundPause {
			if l.quick && l.players() >= l.autoStart() {
				l.startRound(now)
			} else {
				l.setState(StateWaiting, now)
			}
		}
	}
}

// autoStart is how many players a quick lobby waits for before it starts a round.
func (l *Lobby) autoStart() int { return max(l.limits.AutoStartPlayers, l.minPlayers) }

func (l *Lobby) startRound(now time.Time) {
	l.rounds.StartRound()
	l.roundStart = now
	l.setState(StateRunning, now)
}

func (l *Lobby) finishRound(now time.Time) {
	scores := l.rounds.Scores()
	l.setState(StateFinished, now)
	l.finish(scores, now)
}

// finish tells every member a match is over and records its scores.
func (l *Lobby) finish(scores []Score, now time.Time) {
	l.broadcast(Event{Kind: wire.EventRoundOver, Lobby: l.id, Scores: scores})
	if l.record != nil && len(scores) > 0 {
		l.record(Match{Key: rand.Text(), LobbyID: l.id, Game: l.gameName, Started: l.roundStart, Ended: now, Scores: scores})
	}
}

func (l *Lobby) setState(s State, now time.Time) {
	l.state = s
	l.stateAt = now
	l.broadcast(Event{Kind: wire.EventState, Lobby: l.id, State: s})
	l.publish()
}

func (l *Lobby) broadcast(e Event) {
	for _, s := range l.seats {
		if s.member != nil {
			s.member.Event(e)
		}
	}
}

func (l *Lobby) broadcastExcept(m Member, e Event) {
	for _, s := range l.seats {
		if s.member != nil && s.member != m {
			s.member.Event(e)
		}
	}
}

func (l *Lobby) connected() int { return l.members }

// players counts the seats that play (not spectators), connected or within their grace.
func (l *Lobby) players() int {
	n := 0
	for _, s := range l.seats {
		if !s.Spectator {
			n++
		}
	}
	return n
}

func (l *Lobby) spectators() int { return len(l.seats) - l.players() }

// expireSeats gives up the seats whose grace period is over.
func (l *Lobby) expireSeats(now time.Time) {
	for i := 0; i < len(l.seats); {
		s := l.seats[i]
		if s.member == nil && now.Sub(s.leftAt) >= l.limits.Grace {
			l.removeSeat(s, "timeout") // removes l.seats[i]
			continue
		}
		i++
	}
}

// publish refreshes the summary other goroutines read.
func (l *Lobby) publish() {
	info := l.info()
	l.summaryMu.Lock()
	l.summary = info
	l.summaryMu.Unlock()
}

func (l *Lobby) info() Info {
	seats := make([]Seat, len(l.seats))
	for i, s := range l.seats {
		seats[i] = s.Seat
	}
	return Info{ID: l.id, Name: l.name, Game: l.gameName, Code: l.code, Private: l.private, State: l.state,
		TickRate: l.tickRate, MaxPlayers: l.maxPlayers, Players: l.players(), Seats: seats}
}

func (l *Lobby) close() {
	l.state = StateClosed
	l.broadcast(Event{Kind: wire.EventLobbyClosed, Lobby: l.id})
	for _, s := range l.seats {
		l.setMember(s, nil)
	}
	if t, ok := l.game.(Terminator); ok {
		t.Terminate()
	}
	l.publish()
	// The registry forgets the lobby before Done closes, so that whoever waits for Done (a
	// Create whose first join failed, a test) finds its places free.
	if l.onClose != nil {
		l.onClose(l)
	}
	close(l.done)
}
