package arena

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/vmihailenco/msgpack/v5"
)

const dt = 50 * time.Millisecond // one tick at 20 Hz

func newArena(t *testing.T, seed uint64, r Rules) *Arena {
	t.Helper()
	return New(r, game.Config{TickRate: 20, MaxPlayers: 8, Seed: seed})
}

// steer is an input's steering, handed to a game as the arena input message it encodes to.
type steer struct {
	Seq    uint32
	DX, DY float32
}

// apply hands g the input s of player id, as a lobby would.
func apply(g game.Game, id game.PlayerID, s steer) {
	if err := g.Input(id, AppendInput(nil, s.Seq, s.DX, s.DY, 0)); err != nil {
		panic(err)
	}
}

func join(a *Arena, n int) {
	for i := 1; i <= n; i++ {
		a.Join(game.Player{ID: game.PlayerID(i), AccountID: string(rune('a' + i - 1)), Name: string(rune('A' + i - 1))})
	}
}

func (a *Arena) player(id game.PlayerID) *player {
	for _, p := range a.players {
		if p.id == id {
			return p
		}
	}
	return nil
}

func near(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-3 }

func TestPlayersStayInsideTheWalls(t *testing.T) {
	a := newArena(t, 1, DefaultRules)
	join(a, 1)
	p := a.player(1)
	r := a.rules.PlayerRadius
	for _, tc := range []struct {
		name   string
		dx, dy float32
		wantX  func() bool
	}{
		{"left", -1, 0, func() bool { return near(p.x, r) }},
		{"right", 1, 0, func() bool { return near(p.x, a.rules.Width-r) }},
		{"top", 0, -1, func() bool { return near(p.y, r) }},
		{"bottom", 0, 1, func() bool { return near(p.y, a.rules.Height-r) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apply(a, 1, steer{DX: tc.dx, DY: tc.dy})
			for range 100 { // 5 s at 220 units/s crosses the arena
				a.Step(dt)
			}
			if !tc.wantX() {
				t.Errorf("at (%v, %v), not against the %s wall", p.x, p.y, tc.name)
			}
			if p.vx != 0 || p.vy != 0 {
				t.Errorf("a player against a wall reports velocity (%v, %v)", p.vx, p.vy)
			}
		})
	}
}

func TestPlayersPushEachOtherApart(t *testing.T) {
	a := newArena(t, 1, DefaultRules)
	join(a, 2)
	p, q := a.player(1), a.player(2)
	r := a.rules.PlayerRadius
	p.x, p.y = 300, 300
	q.x, q.y = 310, 300
	a.Step(dt)
	if d := float32(math.Sqrt(float64(dist2(p.x, p.y, q.x, q.y)))); !near(d, 2*r) {
		t.Errorf("overlapping players end %v apart, want %v", d, 2*r)
	}
	if !near(p.x+q.x, 610) || !near(p.y, 300) || !near(q.y, 300) {
		t.Errorf("the push was not shared: p (%v, %v), q (%v, %v)", p.x, p.y, q.x, q.y)
	}

	t.Run("players running into each other stop touching", func(t *testing.T) {
		p.x, q.x = 200, 400
		apply(a, 1, steer{DX: 1})
		apply(a, 2, steer{DX: -1})
		for range 40 {
			a.Step(dt)
		}
		if d := q.x - p.x; !near(d, 2*r) || !near(p.x+q.x, 600) {
			t.Errorf("p at %v, q at %v: want them touching, %v apart, around 300", p.x, q.x, 2*r)
		}
	})
	t.Run("players on the same spot are parted too", func(t *testing.T) {
		q.x, q.y = p.x, p.y
		apply(a, 1, steer{})
		apply(a, 2, steer{})
		a.Step(dt)
		if d := dist2(p.x, p.y, q.x, q.y); d < 4*r*r-1e-2 {
			t.Errorf("still overlapping: %v apart", math.Sqrt(float64(d)))
		}
	})
}

func TestDiagonalMovementIsNoFaster(t *testing.T) {
	for _, tc := range []struct {
		dx, dy float32
		want   float32 // distance over one tick, as a share of full speed
	}{
		{1, 0, 1}, {0, -1, 1}, {1, 1, 1}, {-1, 1, 1}, {0.5, 0, 0.5}, {0.6, 0.8, 1}, {0.3, 0.4, 0.5},
	} {
		a := newArena(t, 1, DefaultRules)
		join(a, 1)
		p := a.player(1)
		p.x, p.y = 400, 300
		apply(a, 1, steer{DX: tc.dx, DY: tc.dy})
		a.Step(dt)
		want := tc.want * a.rules.Speed * float32(dt.Seconds())
		got := float32(math.Sqrt(float64(dist2(400, 300, p.x, p.y))))
		if !near(got, want) {
			t.Errorf("input (%v, %v) moved %v in a tick, want %v", tc.dx, tc.dy, got, want)
		}
		if speed := float32(math.Hypot(float64(p.vx), float64(p.vy))); !near(speed*float32(dt.Seconds()), want) {
			t.Errorf("input (%v, %v) reports speed %v", tc.dx, tc.dy, speed)
		}
	}
}

func TestCoinsAreCollectedAndScored(t *testing.T) {
	a := newArena(t, 1, DefaultRules)
	join(a, 2)
	a.StartRound()
	p, q := a.player(1), a.player(2)
	p.x, p.y = 100, 100
	q.x, q.y = 500, 400
	reach := a.rules.PlayerRadius + a.rules.CoinRadius
	a.coins = append(a.coins[:0],
		coin{id: 100, x: 100 + reach - 0.5, y: 100}, // within p's reach
		coin{id: 101, x: 100, y: 100 + reach + 1},   // just out of it
		coin{id: 102, x: 500, y: 400},               // under q
	)
	a.Step(dt)
	if p.score != 1 || q.score != 1 {
		t.Fatalf("scores p %d q %d, want 1 and 1", p.score, q.score)
	}
	ids := map[uint32]bool{}
	for _, c := range a.coins {
		ids[c.id] = true
	}
	if ids[100] || ids[102] || !ids[101] {
		t.Errorf("coins left: %v", ids)
	}
	s := a.Scores()
	if len(s) != 2 || s[0].Score != 1 || s[0].Player != 1 || s[0].AccountID != "a" || s[0].Name != "A" {
		t.Errorf("scores = %+v", s)
	}
	p.score = 0
	if s := a.Scores(); s[0].Player != 2 {
		t.Errorf("scores not best first: %+v", s)
	}
	t.Run("a new round starts from zero", func(t *testing.T) {
		a.StartRound()
		if p.score != 0 || q.score != 0 || len(a.coins) != 0 {
			t.Errorf("scores %d %d, %d coins", p.score, q.score, len(a.coins))
		}
	})
}

func TestCoinsSpawnOnlyWhileARoundRuns(t *testing.T) {
	a := newArena(t, 1, Rules{MaxCoins: 3, CoinEvery: 100 * time.Millisecond})
	for range 20 {
		a.Step(dt)
	}
	if len(a.coins) != 0 {
		t.Fatalf("%d coins before the round", len(a.coins))
	}
	a.StartRound()
	a.Step(dt)
	a.Step(dt)
	if len(a.coins) != 1 {
		t.Fatalf("%d coins after 100 ms, want 1", len(a.coins))
	}
	for range 20 {
		a.Step(dt)
	}
	if len(a.coins) != 3 {
		t.Errorf("%d coins, want the cap of 3", len(a.coins))
	}
	for _, c := range a.coins {
		if c.x < a.rules.CoinRadius || c.x > a.rules.Width-a.rules.CoinRadius || c.y < a.rules.CoinRadius || c.y > a.rules.Height-a.rules.CoinRadius {
			t.Errorf("coin %d at (%v, %v) is in a wall", c.id, c.x, c.y)
		}
	}
}

func TestARoundLastsItsLength(t *testing.T) {
	a := newArena(t, 1, Rules{RoundLength: time.Second})
	join(a, 1)
	for range 100 {
		a.Step(dt)
	}
	if a.RoundOver() {
		t.Fatal("over before it started")
	}
	a.StartRound()
	for i := 1; i < 20; i++ {
		a.Step(dt)
		if a.RoundOver() {
			t.Fatalf("over after %d ticks of 20", i)
		}
	}
	a.Step(dt)
	if !a.RoundOver() || a.remaining != 0 {
		t.Fatalf("not over after 20 ticks: %v left", a.remaining)
	}
	a.StartRound()
	if a.RoundOver() || a.remaining != time.Second {
		t.Error("a new round did not reset the clock")
	}
}

func run(seed uint64, ticks int) []byte {
	a := New(DefaultRules, game.Config{TickRate: 20, Seed: seed})
	join(a, 4)
	a.StartRound()
	w := game.NewStateWriter()
	for i := range ticks {
		for id := 1; id <= 4; id++ {
			f := float32((i*7+id*13)%21)/10 - 1
			apply(a, game.PlayerID(id), steer{DX: f, DY: -f / 2})
		}
		a.Step(dt)
	}
	a.WriteState(0, w)
	b, _ := w.Bytes()
	return bytes.Clone(b)
}

func TestTheSameSeedPlaysOutTheSame(t *testing.T) {
	one, two := run(42, 300), run(42, 300)
	if !bytes.Equal(one, two) {
		t.Error("two runs from seed 42 differ")
	}
	if bytes.Equal(one, run(43, 300)) {
		t.Error("seeds 42 and 43 play out the same")
	}
}

func TestStateCarriesWhatAClientDraws(t *testing.T) {
	a := newArena(t, 1, DefaultRules)
	join(a, 2)
	a.StartRound()
	apply(a, 1, steer{DX: 1})
	a.Step(dt)
	w := game.NewStateWriter()
	a.WriteState(0, w)
	b, n := w.Bytes()
	if n != 5 {
		t.Fatalf("%d fields, want 5", n)
	}
	// The fields are map entries without a header: add one to decode them.
	var st map[string]any
	if err := msgpack.Unmarshal(append([]byte{0x80 | byte(n)}, b...), &st); err != nil {
		t.Fatal(err)
	}
	if st["w"] != float32(800) || st["h"] != float32(600) {
		t.Errorf("w, h = %v, %v", st["w"], st["h"])
	}
	if ms := fmt.Sprint(st["round_ms"]); ms != "59950" {
		t.Errorf("round_ms = %s, want 59950", ms)
	}
	players := st["players"].([]any)
	p1 := players[0].([]any)
	if len(players) != 2 || len(p1) != 6 {
		t.Fatalf("players = %v", players)
	}
	if vx := p1[3].(float32); !near(vx, a.rules.Speed) {
		t.Errorf("player 1's vx = %v, want %v", vx, a.rules.Speed)
	}
	if _, ok := st["coins"].([]any); !ok {
		t.Errorf("coins = %#v", st["coins"])
	}
}
