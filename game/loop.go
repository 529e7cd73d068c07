package game

import (
	"context"
	"log/slog"
	"slices"
	"time"
)

// Run ticks the lobby until ctx ends or the lobby closes. Ticks follow a fixed schedule from the
// clock: tick n is due at start + n*period. A tick that starts late is run at once; when the
// loop falls more than MaxCatchUp periods behind, the missed ticks are skipped and counted
// rather than run back to back, so an overrun never grows into a spiral.
func (l *Lobby) Run(ctx context.Context) {
	defer l.close()
	period := time.Second / time.Duration(l.tickRate)
	next := l.clock.Now().Add(period)
	l.emptySince = l.clock.Now()
	for {
		var due <-chan time.Time
		if wait := next.Sub(l.clock.Now()); wait > 0 {
			due = l.clock.After(wait)
		}
		if due != nil {
			select {
			case f := <-l.cmds:
				f()
				if l.state == StateClosed {
					return
				}
				continue
			case <-due:
			case <-ctx.Done():
				return
			}
		}
		now := l.clock.Now()
		late := now.Sub(next)
		if late > period*time.Duration(l.limits.MaxCatchUp) {
			skip := late / period
			next = next.Add(skip * period)
			l.stats.Skipped.Add(uint64(skip))
		}
		if late > period {
			l.stats.Late.Add(1)
		}
		l.stats.LastLateNanos.Store(int64(max(late, 0)))
		l.step(now, period)
		l.stats.LastTickNanos.Store(int64(l.clock.Now().Sub(now)))
		next = next.Add(period)
		if l.state == StateClosed {
			return
		}
	}
}

// step runs one tick: inputs, seats, the round's phase, the game, and snapshots.
func (l *Lobby) step(now time.Time, dt time.Duration) {
	l.inboxMu.Lock()
	inbox := l.inbox
	l.inbox = l.spare[:0]
	for _, q := range inbox {
		q.seat.queued--
	}
	l.inboxMu.Unlock()
	for _, q := range inbox {
		if q.seat.member == nil && !q.seat.Connected {
			continue
		}
		l.game.Apply(q.seat.ID, q.in)
		q.seat.ack = q.in.Seq
	}
	clear(inbox)
	l.spare = inbox

	l.expireSeats(now)
	if l.connected() == 0 {
		if now.Sub(l.emptySince) >= l.limits.EmptyTimeout {
			l.state = StateClosed
		}
		return
	}
	l.emptySince = now
	l.advancePhase(now)
	l.game.Step(dt)
	if l.state == StateRunning && l.game.RoundOver() {
		l.finishRound(now)
	}
	l.tick++
	l.stats.Ticks.Add(1)
	// The shared state is encoded once per tick into a fresh buffer: members may still hold
	// the previous tick's until their writers send it.
	l.sw.Reset()
	l.game.WriteState(l.sw)
	encoded, fields := l.sw.Bytes()
	state := append(make([]byte, 0, len(encoded)), encoded...)
	for _, s := range l.seats {
		if s.member != nil {
			s.member.Snapshot(Snapshot{Tick: l.tick, Ack: s.ack, State: state, Fields: fields})
		}
	}
}

func (l *Lobby) advancePhase(now time.Time) {
	switch l.state {
	case StateWaiting:
		if l.autoStart && l.players() >= l.limits.AutoStartPlayers {
			l.startRound(now)
		}
	case StateFinished:
		if now.Sub(l.stateAt) >= l.limits.RoundPause {
			if l.autoStart && l.players() >= l.limits.AutoStartPlayers {
				l.startRound(now)
			} else {
				l.setState(StateWaiting, now)
			}
		}
	}
}

func (l *Lobby) startRound(now time.Time) {
	l.game.StartRound()
	l.roundStart = now
	l.setState(StateRunning, now)
}

func (l *Lobby) finishRound(now time.Time) {
	scores := l.game.Scores()
	l.setState(StateFinished, now)
	l.broadcast(Event{Kind: EventRoundOver, Lobby: l.id, Scores: scores})
	if l.results != nil && len(scores) > 0 {
		m := Match{LobbyID: l.id, Game: l.gameName, Started: l.roundStart, Ended: now, Scores: scores}
		// Recording never holds up the tick.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := l.results.RecordMatch(ctx, m); err != nil {
				slog.Error("record match", "lobby", l.id, "err", err)
			}
		}()
	}
}

func (l *Lobby) setState(s State, now time.Time) {
	l.state = s
	l.stateAt = now
	l.broadcast(Event{Kind: EventState, Lobby: l.id, State: s})
	l.publish()
}

func (l *Lobby) broadcast(e Event) {
	for _, s := range l.seats {
		if s.member != nil {
			s.member.Event(e)
		}
	}
}

func (l *Lobby) connected() int {
	n := 0
	for _, s := range l.seats {
		if s.member != nil {
			n++
		}
	}
	return n
}

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

func (l *Lobby) expireSeats(now time.Time) {
	for _, s := range slices.Clone(l.seats) {
		if s.member == nil && now.Sub(s.leftAt) >= l.limits.Grace {
			l.removeSeat(s, "timeout")
		}
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
	l.broadcast(Event{Kind: EventClosed, Lobby: l.id})
	l.inboxMu.Lock()
	for _, s := range l.seats {
		s.member = nil
	}
	l.inboxMu.Unlock()
	l.publish()
	close(l.done)
	if l.onClose != nil {
		l.onClose(l)
	}
}
