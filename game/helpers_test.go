package game_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
	"github.com/tickwire/tickwire/server/wire"
)

// rate and period are the tick rate of the lobbies in these tests: 10 Hz, 100 ms a tick.
const (
	rate   = 10
	period = time.Second / rate
)

// tally is the engine's test game: it records what the engine asks of it. A round lasts
// roundTicks steps (0: it never ends) and scores one point per input applied during it.
type tally struct {
	mu         sync.Mutex
	roundTicks int
	refuse     string                // Join refuses this account's seat
	slowSteps  []time.Duration       // Step passes clk by these, one per step, to cost time
	clk        *gametest.Clock       // for slowSteps
	players    []game.Player         // seated now, in join order
	spectators []game.Player         // watching now
	joins      int                   // Join calls of players
	left       []game.PlayerID       // Leave calls of players
	consented  []bool                // whether each of those meant it
	applied    []string              // "id:seq", in the order applied
	inputs     [][]byte              // the messages applied
	steps      int                   // Tick calls
	rounds     int                   // StartRound calls
	ticksLeft  int                   // of the running round
	over       bool                  // the round ended
	points     map[game.PlayerID]int // of the running round
	dts        []time.Duration       // distinct step lengths seen
}

func (g *tally) Join(p game.Player) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.Spectator {
		g.spectators = append(g.spectators, p)
		return nil
	}
	if p.AccountID == g.refuse {
		return fmt.Errorf("%s may not play", p.AccountID)
	}
	g.joins++
	g.players = append(g.players, p)
	return nil
}

func (g *tally) Leave(id game.PlayerID, consented bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if slices.ContainsFunc(g.spectators, func(p game.Player) bool { return p.ID == id }) {
		g.spectators = slices.DeleteFunc(g.spectators, func(p game.Player) bool { return p.ID == id })
		return
	}
	g.left = append(g.left, id)
	g.consented = append(g.consented, consented)
	g.players = slices.DeleteFunc(g.players, func(p game.Player) bool { return p.ID == id })
}

// Input records the message, and its seq as the game reads it.
func (g *tally) Input(id game.PlayerID, msg []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var seq uint64
	f := game.NewFields(msg)
	for f.Next() {
		if f.Key() == "seq" {
			seq = f.Uint()
		} else {
			f.Skip()
		}
	}
	g.applied = append(g.applied, fmt.Sprintf("%d:%d", id, seq))
	g.inputs = append(g.inputs, slices.Clone(msg))
	if g.ticksLeft > 0 {
		g.points[id]++
	}
	return f.Err()
}

func (g *tally) ViewOf(game.Player) game.View { return 0 }

func (g *tally) StartRound() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rounds++
	g.over = false
	g.ticksLeft = g.roundTicks
	g.points = map[game.PlayerID]int{}
}

func (g *tally) Tick(t *game.Tick) {
	dt := t.DT
	g.mu.Lock()
	g.steps++
	if !slices.Contains(g.dts, dt) {
		g.dts = append(g.dts, dt)
	}
	if g.ticksLeft > 0 {
		if g.ticksLeft--; g.ticksLeft == 0 {
			g.over = true
		}
	}
	var cost time.Duration
	if len(g.slowSteps) > 0 {
		cost, g.slowSteps = g.slowSteps[0], g.slowSteps[1:]
	}
	g.mu.Unlock()
	if cost > 0 {
		g.clk.Pass(cost) // the tick takes this long; Advance would wait for this very tick
	}
}

func (g *tally) WriteState(_ game.View, w *game.StateWriter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	_ = w.Field("steps").EncodeInt(int64(g.steps))
}

func (g *tally) RoundOver() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.over
}

func (g *tally) Scores() []game.Score {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]game.Score, 0, len(g.players))
	for _, p := range g.players {
		out = append(out, game.Score{Player: p.ID, AccountID: p.AccountID, Name: p.Name, Score: g.points[p.ID]})
	}
	slices.SortStableFunc(out, func(a, b game.Score) int { return b.Score - a.Score })
	return out
}

func (g *tally) snapshot() tally {
	g.mu.Lock()
	defer g.mu.Unlock()
	return tally{
		players: slices.Clone(g.players), joins: g.joins, left: slices.Clone(g.left), consented: slices.Clone(g.consented),
		spectators: slices.Clone(g.spectators), applied: slices.Clone(g.applied),
		inputs: slices.Clone(g.inputs), steps: g.steps, rounds: g.rounds, dts: slices.Clone(g.dts),
	}
}

// results is a game.Results that keeps every match for the test. RecordMatch never blocks,
// however many rounds a test lets finish: Registry.Close waits for the rounds being recorded.
type results struct {
	mu      sync.Mutex
	matches []game.Match
	taken   int           // matches handed to the test by next
	added   chan struct{} // buffer of one: a match was added
}

func (r *results) RecordMatch(_ context.Context, m game.Match) error {
	r.mu.Lock()
	r.matches = append(r.matches, m)
	r.mu.Unlock()
	select {
	case r.added <- struct{}{}:
	default:
	}
	return nil
}

// next returns the oldest match not handed out yet, waiting for it: a lobby records a finished
// round on a goroutine of its own.
func (r *results) next(t *testing.T) game.Match {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		if r.taken < len(r.matches) {
			m := r.matches[r.taken]
			r.taken++
			r.mu.Unlock()
			return m
		}
		r.mu.Unlock()
		select {
		case <-r.added:
		case <-timeout:
			t.Fatal("no match recorded")
		}
	}
}

// env is one registry of tally lobbies on a clock the test steps.
type env struct {
	t       *testing.T
	clk     *gametest.Clock
	reg     *game.Registry
	results *results

	mu       sync.Mutex
	last     *tally
	template tally // roundTicks and refuse for new games
}

func newEnv(t *testing.T, limits game.Limits) *env {
	t.Helper()
	e := &env{t: t, clk: gametest.NewClock(), results: &results{added: make(chan struct{}, 1)}}
	e.reg = &game.Registry{
		Games:   []game.Definition{{Name: "tally", New: e.newGame}},
		Default: "tally", TickRate: rate, Limits: limits, Clock: e.clk, Results: e.results,
	}
	e.reg.Start(context.Background())
	t.Cleanup(e.reg.Close)
	return e
}

func (e *env) newGame(game.Config) (game.Game, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := &tally{roundTicks: e.template.roundTicks, refuse: e.template.refuse, clk: e.clk}
	e.last = g
	return g, nil
}

// inputMsg is an input message of seq with a steering field, as a client sends one.
func inputMsg(seq uint32, dx float32) []byte {
	b := wire.AppendMapHeader(nil, 2)
	b = wire.AppendString(b, "seq")
	b = wire.AppendUint(b, uint64(seq))
	b = wire.AppendString(b, "dx")
	return wire.AppendFloat32(b, dx)
}

// create opens a lobby with first seated in it (when not nil) and returns it with its game.
func (e *env) create(o game.CreateOptions, first game.Member) (*game.Lobby, *tally) {
	e.t.Helper()
	l, _, _, err := e.reg.Create(context.Background(), o, first)
	if err != nil {
		e.t.Fatalf("create %+v: %v", o, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return l, e.last
}

// ticks advances the clock by n periods, one at a time: n ticks, each on time.
func (e *env) ticks(n int) {
	for range n {
		e.clk.Advance(period)
	}
}

func mustJoin(t *testing.T, l *game.Lobby, m game.Member, spectate bool) game.Seat {
	t.Helper()
	seat, _, err := l.Join(context.Background(), m, spectate)
	if err != nil {
		t.Fatalf("join %s: %v", m.AccountID(), err)
	}
	return seat
}

func info(t *testing.T, l *game.Lobby) game.Info {
	t.Helper()
	i, err := l.Info(context.Background())
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	return i
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !wire.IsCode(err, code) {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func last(t *testing.T, m *gametest.Member) game.Snapshot {
	t.Helper()
	s, ok := m.Last()
	if !ok {
		t.Fatalf("%s has no snapshot", m.Account)
	}
	return s
}

func noViolations(t *testing.T, ms ...*gametest.Member) {
	t.Helper()
	for _, m := range ms {
		if v := m.Violations(); len(v) > 0 {
			t.Errorf("%s: %v", m.Account, v)
		}
	}
}

// hasEvent reports whether m got an event of kind about player (0: any).
func hasEvent(m *gametest.Member, kind string, player game.PlayerID, reason string) bool {
	for _, e := range m.Events() {
		if e.Kind == kind && (player == 0 || e.Player != nil && e.Player.ID == player) && (reason == "" || e.Reason == reason) {
			return true
		}
	}
	return false
}
