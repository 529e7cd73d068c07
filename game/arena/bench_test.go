package arena_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/game/gametest"
)

// sink is a member that keeps only the last snapshot, as a socket's latest-wins slot does.
type sink struct {
	id   string
	last game.Snapshot
	n    int
}

func (s *sink) AccountID() string           { return s.id }
func (s *sink) Name() string                { return s.id }
func (s *sink) Joined(game.Seat, game.Info) {}
func (s *sink) Snapshot(snap game.Snapshot) { s.last = snap; s.n++ }
func (s *sink) Event(game.Event)            {}

// steering is the steering the benchmark's players cycle through.
var steering = [...]struct{ DX, DY float32 }{{DX: 1}, {DX: 1, DY: 1}, {DY: -1}, {DX: -0.5, DY: 0.25}, {DX: -1, DY: -1}, {}, {DX: 0.3, DY: 1}}

// BenchmarkTick measures one arena tick through the engine as a lobby runs it: the loop applies
// the players' inputs, steps the game (movement, collisions, coins), encodes the shared state
// once and hands every member its snapshot. The one allocation expected per tick is the
// outgoing state buffer.
//
// In "wake" the clock is stepped one period at a time, so each tick also pays for waking the
// loop's goroutine and for the test clock's hand-off back to the benchmark, and every player
// sends one input per tick. In "burst" the clock jumps 100 periods at once and the overrun
// policy's catch-up runs the 100 ticks back to back: the tick's own cost, with one input per
// player per burst.
func BenchmarkTick(b *testing.B) {
	for _, players := range []int{8, 64} {
		for _, burst := range []int{1, 100} {
			name := "wake"
			if burst > 1 {
				name = "burst"
			}
			b.Run(fmt.Sprintf("players=%d/%s", players, name), func(b *testing.B) { benchTick(b, players, burst) })
		}
	}
}

func benchTick(b *testing.B, players, burst int) {
	ctx := context.Background()
	clk := gametest.NewClock()
	reg := &game.Registry{
		Games:   []game.Definition{arena.Definition(arena.Rules{RoundLength: 1000 * time.Hour})},
		Default: arena.Name, TickRate: 20, Clock: clk, Limits: game.Limits{MaxCatchUp: burst},
	}
	reg.Start(ctx)
	defer reg.Close()
	members := make([]*sink, players)
	seats := make([]game.Seat, players)
	members[0] = &sink{id: "p0"}
	l, s, _, err := reg.Create(ctx, game.CreateOptions{MaxPlayers: players}, members[0])
	if err != nil {
		b.Fatal(err)
	}
	seats[0] = s
	for i := 1; i < players; i++ {
		members[i] = &sink{id: fmt.Sprintf("p%d", i)}
		s, _, err := l.Join(ctx, members[i], false)
		if err != nil {
			b.Fatal(err)
		}
		seats[i] = s
	}
	if err := l.Start(ctx, members[0]); err != nil {
		b.Fatal(err)
	}
	ticks := 0
	var msg []byte
	run := func(n int) { // runs n ticks, a burst at a time
		for ; n > 0; n -= burst {
			for j, m := range members {
				st := steering[(ticks/20+j)%len(steering)]
				seq := uint32(ticks + 1)
				msg = arena.AppendInput(msg[:0], seq, st.DX, st.DY, 0) // as the socket hands it over
				l.Input(&seats[j], m, game.Input{Seq: seq, Msg: msg})
			}
			k := min(n, burst)
			clk.Advance(time.Duration(k) * time.Second / 20)
			ticks += k
		}
	}
	run(200) // coins on the field, buffers grown
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	if n := members[players-1].n; n != ticks {
		b.Fatalf("%d snapshots for %d ticks", n, ticks)
	}
	if st := l.Stats(); st.Skipped.Load() != 0 {
		b.Fatalf("%d ticks skipped", st.Skipped.Load())
	}
	b.ReportMetric(float64(len(members[0].last.State)), "state-bytes")
}

// BenchmarkArenaStep measures the game alone: one Step and one WriteState.
func BenchmarkArenaStep(b *testing.B) {
	for _, players := range []int{8, 64} {
		b.Run(fmt.Sprintf("players=%d", players), func(b *testing.B) {
			g := arena.New(arena.Rules{RoundLength: 1000 * time.Hour}, game.Config{TickRate: 20, Seed: 1})
			for i := range players {
				g.Join(game.Player{ID: game.PlayerID(i + 1), AccountID: fmt.Sprint(i)})
			}
			g.StartRound()
			w := game.NewStateWriter()
			var msg []byte
			step := func(i int) {
				for j := range players {
					st := steering[(i/20+j)%len(steering)]
					msg = arena.AppendInput(msg[:0], uint32(i+1), st.DX, st.DY, 0)
					_ = g.Input(game.PlayerID(j+1), msg)
				}
				g.Step(time.Second / 20)
				w.Reset()
				g.WriteState(0, w)
			}
			for i := range 200 {
				step(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				step(200 + i)
			}
		})
	}
}

// BenchmarkInput measures the arena reading one input message as clients send it (seq, dx
// and dy), the work the wire's decoder did for it before games read their own inputs.
func BenchmarkInput(b *testing.B) {
	g := arena.New(arena.DefaultRules, game.Config{TickRate: 20, Seed: 1})
	if err := g.Join(game.Player{ID: 1, AccountID: "a"}); err != nil {
		b.Fatal(err)
	}
	msg := arena.AppendInput(nil, 123456, 0.5, -1, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Input(1, msg); err != nil {
			b.Fatal(err)
		}
	}
}
