package main

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/clients/goclient/liarsdice"
	"github.com/tickwire/tickwire/server/wire"
)

// behaviour is how a bot steers.
type behaviour int

const (
	wander behaviour = iota // a straight line, turning at random now and then and off the walls
	orbit                   // circles the arena's centre
	seek                    // runs to a random point, then picks another
)

var behaviourNames = map[string][]behaviour{
	"wander": {wander}, "orbit": {orbit}, "seek": {seek}, "mixed": {wander, orbit, seek},
}

// The default arena's size; a bot that steers a little wrong in another game still plays.
const arenaW, arenaH = 800, 600

// bot is one player. Its snapshots arrive on its connection's reader goroutine, in onSnapshot
// and onEvent, which read the snapshot's tick, ack and the bot's own position in place. It
// sends one input per tick: by default on its own clock, at a phase of its own within the
// tick, as the browser client does (the pacer, pace.go, sends for every bot from one
// goroutine); with --inputs reply, in answer to each snapshot. A bot costs one goroutine and
// no allocation per frame. The fields that the progress line reads are atomics.
type bot struct {
	run    *run
	tokens goclient.Tokens // from sign-in; the connection keeps its own after refreshes
	conn   *goclient.Conn
	kind   behaviour
	rng    *rand.Rand
	host   atomic.Bool

	// Owned by the reader goroutine.
	player   uint32
	lastSnap time.Time

	mu      sync.Mutex // the reader goroutine and the pacer
	seen    bool       // a snapshot has shown the bot's position
	x, y    float32    // its position in the latest snapshot
	seq     uint32
	lastAck uint32
	sentAt  [64]time.Time // when each of the last 64 seqs was sent, by seq%64
	dx, dy  float32
	tx, ty  float32
	turnIn  int

	diceActed string // Liar's Dice: the hand and bid the bot last acted on

	snaps     atomic.Uint64 // snapshots inside the measured window
	connected atomic.Bool
	ended     atomic.Bool
}

func newBot(r *run, i int, kind behaviour) *bot {
	b := &bot{run: r, kind: kind, rng: rand.New(rand.NewPCG(uint64(i), r.seed))}
	b.dx, b.dy = float32(b.rng.Float64()*2-1), float32(b.rng.Float64()*2-1)
	b.tx, b.ty = b.randomPoint()
	return b
}

func (b *bot) options() goclient.Options {
	return goclient.Options{OnSnapshot: b.onSnapshot, OnEvent: b.onEvent, OnStatus: b.onStatus}
}

func (b *bot) onSnapshot(s *goclient.RawSnapshot) {
	r := b.run
	now := s.Received
	measuring := r.measuring.Load()
	if measuring {
		b.snaps.Add(1)
		if !b.lastSnap.IsZero() {
			r.interval.add(now.Sub(b.lastSnap))
		}
	}
	b.lastSnap = now
	dice := r.cfg.game == liarsdice.Name
	x, y := float32(arenaW/2), float32(arenaH/2)
	if dice {
		_, b.player = b.conn.Lobby()
	} else {
		p, ok := arena.FindPlayer(s.D, b.player)
		if !ok {
			// Not seated yet as far as this bot knew, or seated anew after a rejoin.
			_, b.player = b.conn.Lobby()
			p, ok = arena.FindPlayer(s.D, b.player)
		}
		if ok {
			x, y = p.X, p.Y
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.Ack > b.lastAck && s.Ack <= b.seq {
		// Every input up to ack has taken effect: each one's latency ends now.
		first := b.lastAck + 1
		if b.seq > 64 && b.seq-63 > first {
			first = b.seq - 63 // older send times are overwritten; those inputs were lost
		}
		for q := first; q <= s.Ack; q++ {
			if measuring {
				r.ack.add(now.Sub(b.sentAt[q%64]))
			}
		}
		b.lastAck = s.Ack
	}
	if dice {
		b.onDiceSnapshot(s.D)
		return
	}
	b.x, b.y, b.seen = x, y, true
	if r.cfg.inputs == inputsReply {
		b.sendLocked()
	}
}

// sendLocked steers from the latest position and sends the next input. Called with mu held.
func (b *bot) sendLocked() {
	b.steer(b.x, b.y)
	b.seq++
	b.sentAt[b.seq%64] = time.Now()
	if err := arena.SendInput(b.conn, arena.Input{Seq: b.seq, DX: b.dx, DY: b.dy}); err != nil && !errors.Is(err, goclient.ErrConnectionLost) {
		b.run.counters.errors.Add(1)
	}
}

// tick is the bot's own clock: it sends an input once the bot has seen its position.
func (b *bot) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen {
		b.sendLocked()
	}
}

// steer sets dx, dy from the bot's position.
func (b *bot) steer(x, y float32) {
	switch b.kind {
	case wander:
		if b.turnIn--; b.turnIn <= 0 {
			a := b.rng.Float64() * 2 * math.Pi
			b.dx, b.dy = float32(math.Cos(a)), float32(math.Sin(a))
			b.turnIn = 10 + b.rng.IntN(30)
		}
		const margin = 40
		if x < margin && b.dx < 0 || x > arenaW-margin && b.dx > 0 {
			b.dx = -b.dx
		}
		if y < margin && b.dy < 0 || y > arenaH-margin && b.dy > 0 {
			b.dy = -b.dy
		}
	case orbit:
		// Tangent to the circle of radius 200 about the centre, pulled back onto it.
		rx, ry := x-arenaW/2, y-arenaH/2
		d := float32(math.Hypot(float64(rx), float64(ry))) + 1e-3
		pull := (200 - d) / 100
		b.dx, b.dy = -ry/d+rx/d*pull, rx/d+ry/d*pull
	case seek:
		dx, dy := b.tx-x, b.ty-y
		if dx*dx+dy*dy < 20*20 {
			b.tx, b.ty = b.randomPoint()
		}
		d := float32(math.Hypot(float64(dx), float64(dy))) + 1e-3
		b.dx, b.dy = dx/d, dy/d
	}
}

func (b *bot) randomPoint() (float32, float32) {
	return float32(40 + b.rng.Float64()*(arenaW-80)), float32(40 + b.rng.Float64()*(arenaH-80))
}

// onEvent keeps rounds going: a lobby made by create waits after each round until its host
// starts the next.
func (b *bot) onEvent(e wire.Event) {
	if b.host.Load() && e.Kind == wire.EventRoundOver && len(e.Scores) > 0 {
		b.run.counters.matches.Add(1)
	}
	if b.host.Load() && e.Kind == wire.EventState && e.State == "waiting" {
		if err := b.conn.Send(wire.TypeStart, struct{}{}); err != nil && !errors.Is(err, goclient.ErrConnectionLost) {
			b.run.counters.errors.Add(1)
		}
	}
}

func (b *bot) onStatus(s goclient.Status) {
	c := &b.run.counters
	switch s.Kind {
	case goclient.StatusDisconnected:
		b.connected.Store(false)
		if !b.run.ending.Load() {
			c.disconnects.Add(1)
			b.run.logf("bot disconnected: %v", s.Err)
		}
	case goclient.StatusReconnected:
		b.connected.Store(true)
		c.reconnects.Add(1)
	case goclient.StatusRejoinFailed:
		// The lobby is gone (a server restart, or the death of its node in a cluster): play on
		// in any lobby of the bot's game, following moved as Join does. A callback must not
		// wait for a reply, so the join runs on a goroutine of its own; it ends with the Conn.
		b.host.Store(false)
		c.errors.Add(1)
		go b.quickJoin()
	case goclient.StatusReauthed:
		c.reauths.Add(1)
	case goclient.StatusReauthFailed:
		c.errors.Add(1)
		b.run.logf("reauth failed: %v", s.Err)
	}
}

// quickJoin seats the bot in any lobby of its game, after its own lobby was lost.
func (b *bot) quickJoin() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := b.conn.QuickJoin(ctx, b.run.cfg.game); err != nil && !errors.Is(err, goclient.ErrClosed) {
		b.run.counters.errors.Add(1)
		b.run.logf("bot: quick join after a lost lobby: %v", err)
	}
}
