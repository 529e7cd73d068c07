package liarsdice

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/vmihailenco/msgpack/v5"
)

// event is one game event a test's dispatcher saw.
type event struct {
	to   []game.PlayerID // nil: broadcast
	name string
	data any
}

// recorder is a Dispatcher that keeps what the game sent.
type recorder struct {
	events   []event
	finished [][]game.Score
}

func (r *recorder) Send(to []game.PlayerID, name string, data any) {
	r.events = append(r.events, event{to: slices.Clone(to), name: name, data: data})
}
func (r *recorder) Broadcast(name string, data any) {
	r.events = append(r.events, event{name: name, data: data})
}
func (r *recorder) Finish(s []game.Score) { r.finished = append(r.finished, s) }

// named returns the events called name, forgetting every event seen so far.
func (r *recorder) take(name string) []event {
	var out []event
	for _, e := range r.events {
		if e.name == name {
			out = append(out, e)
		}
	}
	r.events = r.events[:0]
	return out
}

func newGame(t *testing.T, seed uint64, opts game.Options) (*Game, *recorder) {
	t.Helper()
	rec := &recorder{}
	g, err := New(game.Config{TickRate: TickRate, SnapshotRate: SnapshotRate, MaxPlayers: MaxPlayers,
		Seed: seed, Options: opts, Out: rec})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g, rec
}

// seat joins n players, ids 1 to n, named A, B, ...
func seat(t *testing.T, g *Game, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		p := game.Player{ID: game.PlayerID(i), AccountID: string(rune('a' + i - 1)), Name: string(rune('A' + i - 1))}
		if err := g.Join(p); err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
	}
}

func bidMsg(t *testing.T, count, face int) []byte {
	t.Helper()
	b, err := msgpack.Marshal(map[string]any{"seq": 1, "bid": []int{count, face}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func challengeMsg(t *testing.T) []byte {
	t.Helper()
	b, err := msgpack.Marshal(map[string]any{"seq": 2, "challenge": true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustInput applies an input that must be accepted.
func mustInput(t *testing.T, g *Game, id game.PlayerID, msg []byte) {
	t.Helper()
	if err := g.Input(id, msg); err != nil {
		t.Fatalf("player %d: %v", id, err)
	}
}

// toAct returns the player whose turn it is.
func (g *Game) toAct() game.PlayerID {
	if g.turn < 0 {
		return 0
	}
	return g.players[g.turn].id
}

func (g *Game) player(id game.PlayerID) *player { return g.players[g.index(id)] }

// setDice replaces the hand's dice of each listed player.
func (g *Game) setDice(dice map[game.PlayerID][]int) {
	for id, d := range dice {
		p := g.player(id)
		p.dice = append(p.dice[:0], d...)
	}
}

// stateOf decodes what view v's snapshot state holds.
func stateOf(t *testing.T, g *Game, v game.View) map[string]any {
	t.Helper()
	w := game.NewStateWriter()
	g.WriteState(v, w)
	entries, n := w.Bytes()
	b := append([]byte{0xde, byte(n >> 8), byte(n)}, entries...)
	var m map[string]any
	if err := msgpack.Unmarshal(b, &m); err != nil {
		t.Fatalf("state of view %d: %v", v, err)
	}
	return m
}

func TestOptions(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		g, _ := newGame(t, 1, nil)
		if g.rules != (rules{dice: 5, turn: 30 * time.Second, onesWild: true}) {
			t.Errorf("rules = %+v", g.rules)
		}
	})
	t.Run("set", func(t *testing.T) {
		g, _ := newGame(t, 1, game.Options{OptDice: 3, OptTurnSeconds: int64(10), OptOnesWild: false})
		if g.rules != (rules{dice: 3, turn: 10 * time.Second, onesWild: false}) {
			t.Errorf("rules = %+v", g.rules)
		}
	})
	for _, tc := range []struct {
		name string
		opts game.Options
	}{
		{"no dice", game.Options{OptDice: 0}},
		{"too many dice", game.Options{OptDice: 11}},
		{"dice not a number", game.Options{OptDice: "5"}},
		{"fractional dice", game.Options{OptDice: 2.5}},
		{"turn too short", game.Options{OptTurnSeconds: 4}},
		{"turn too long", game.Options{OptTurnSeconds: 301}},
		{"ones_wild not a bool", game.Options{OptOnesWild: 1}},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if _, err := New(game.Config{Options: tc.opts}); err == nil {
				t.Errorf("New(%v) made a game", tc.opts)
			}
		})
	}
	t.Run("the definition's options are the ones read", func(t *testing.T) {
		d := Definition()
		for _, o := range d.Options {
			if _, err := New(game.Config{Options: game.Options{o.Name: o.Default}}); err != nil {
				t.Errorf("option %s's default %v is refused: %v", o.Name, o.Default, err)
			}
			if o.Type == "int" {
				for _, bad := range []int{o.Min - 1, o.Max + 1} {
					if _, err := New(game.Config{Options: game.Options{o.Name: bad}}); err == nil {
						t.Errorf("option %s takes %d, outside its bounds", o.Name, bad)
					}
				}
			}
		}
		if d.MinPlayers != 2 || d.MaxPlayers != 6 || d.SnapshotRate > d.TickRate {
			t.Errorf("definition = %+v", d)
		}
	})
}

func TestInputsThatAreNotBidsOrChallengesAreRefused(t *testing.T) {
	g, _ := newGame(t, 1, nil)
	seat(t, g, 2)
	g.StartRound()
	id := g.toAct()
	for name, v := range map[string]any{
		"not a map":            []int{1, 2},
		"neither":              map[string]any{"seq": 1},
		"both":                 map[string]any{"seq": 1, "bid": []int{1, 2}, "challenge": true},
		"bid of one number":    map[string]any{"seq": 1, "bid": []int{3}},
		"bid of three numbers": map[string]any{"seq": 1, "bid": []int{3, 4, 5}},
		"bid of strings":       map[string]any{"seq": 1, "bid": []string{"3", "4"}},
		"challenge not a bool": map[string]any{"seq": 1, "challenge": 1},
		"challenge false":      map[string]any{"seq": 1, "challenge": false},
	} {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Input(id, b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := g.Input(id, []byte{0xc1}); err == nil {
		t.Error("bytes that are no msgpack were accepted")
	}
	if g.bid.count != 0 || g.toAct() != id {
		t.Errorf("a refused input changed the hand: bid %+v, turn %d", g.bid, g.toAct())
	}
}

func TestBidsMustRaise(t *testing.T) {
	for _, tc := range []struct {
		name        string
		onesWild    bool
		prev        bid
		count, face int
		ok          bool
	}{
		{"an opening bid", true, bid{}, 1, 2, true},
		{"ones are not bid when wild", true, bid{}, 3, 1, false},
		{"ones are bid when not wild", false, bid{}, 3, 1, true},
		{"face 7", false, bid{}, 3, 7, false},
		{"face 0", false, bid{}, 3, 0, false},
		{"count 0", true, bid{}, 0, 3, false},
		{"more dice than are in play", true, bid{}, 11, 3, false},
		{"all the dice in play", true, bid{}, 10, 3, true},
		{"a higher count, lower face", true, bid{count: 3, face: 5, by: 1}, 4, 2, true},
		{"the same count, higher face", true, bid{count: 3, face: 5, by: 1}, 3, 6, true},
		{"the same bid", true, bid{count: 3, face: 5, by: 1}, 3, 5, false},
		{"the same count, lower face", true, bid{count: 3, face: 5, by: 1}, 3, 4, false},
		{"a lower count, higher face", true, bid{count: 3, face: 5, by: 1}, 2, 6, false},
		{"ones rank lowest when not wild", false, bid{count: 3, face: 1, by: 1}, 3, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := newGame(t, 1, game.Options{OptOnesWild: tc.onesWild})
			seat(t, g, 2)
			g.StartRound()
			g.bid = tc.prev
			id := g.toAct()
			err := g.Input(id, bidMsg(t, tc.count, tc.face))
			if (err == nil) != tc.ok {
				t.Fatalf("bid %d x %d on %+v: err %v, want ok %v", tc.count, tc.face, tc.prev, err, tc.ok)
			}
			if tc.ok && (g.bid != bid{count: tc.count, face: tc.face, by: id} || g.toAct() == id) {
				t.Errorf("after the bid: bid %+v, turn %d", g.bid, g.toAct())
			}
		})
	}
}

func TestTurnsGoInSeatOrder(t *testing.T) {
	g, rec := newGame(t, 7, nil)
	seat(t, g, 3)
	g.StartRound()
	first := g.toAct()
	for _, id := range []game.PlayerID{1, 2, 3} {
		if id != first {
			if err := g.Input(id, bidMsg(t, 1, 2)); err != errNotTurn {
				t.Errorf("player %d bid out of turn: %v", id, err)
			}
		}
	}
	if err := g.Input(first, challengeMsg(t)); err != errNoBid {
		t.Errorf("a challenge of no bid: %v", err)
	}
	want := first
	for k := range 6 {
		if g.toAct() != want {
			t.Fatalf("turn %d: player %d acts, want %d", k, g.toAct(), want)
		}
		mustInput(t, g, want, bidMsg(t, 1+k/5, 2+k%5))
		want = want%3 + 1
	}
	if got := rec.take("roll"); len(got) != 3 {
		t.Errorf("%d roll events for the first hand of 3 players", len(got))
	}
	if err := g.Input(9, bidMsg(t, 5, 6)); err != errNotIn {
		t.Errorf("a player with no seat bid: %v", err)
	}
}

func TestAChallengeRevealsTheHandAndTakesADie(t *testing.T) {
	for _, tc := range []struct {
		name      string
		onesWild  bool
		count     int // the bid, of fours
		wantLoser game.PlayerID
		actual    int
	}{
		// Dice: 1 holds 4 4 1 2 6, 2 holds 4 1 3 3 5: three fours, two ones.
		{"a bid that stands costs the challenger", true, 5, 2, 5},
		{"a bid that fails costs the bidder", true, 6, 1, 5},
		{"ones count as fours only when wild", false, 4, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, rec := newGame(t, 3, game.Options{OptOnesWild: tc.onesWild})
			seat(t, g, 2)
			g.StartRound()
			g.turn = 0 // player 1 opens
			g.setDice(map[game.PlayerID][]int{1: {4, 4, 1, 2, 6}, 2: {4, 1, 3, 3, 5}})
			mustInput(t, g, 1, bidMsg(t, tc.count, 4))
			rec.take("")
			hand := g.hand
			mustInput(t, g, 2, challengeMsg(t))
			reveals := rec.events
			var r *Reveal
			for _, e := range reveals {
				if e.name == "reveal" {
					if e.to != nil {
						t.Errorf("the reveal went to %v alone", e.to)
					}
					r = e.data.(*Reveal)
				}
			}
			if r == nil {
				t.Fatalf("no reveal event: %+v", reveals)
			}
			want := &Reveal{Hand: hand, Count: tc.count, Face: 4, Bidder: 1, Challenger: 2, Actual: tc.actual,
				Loser: int(tc.wantLoser), Dice: []HandDice{{1, []int{4, 4, 1, 2, 6}}, {2, []int{4, 1, 3, 3, 5}}}}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("reveal = %+v, want %+v", r, want)
			}
			if n := len(g.player(tc.wantLoser).dice); n != 4 {
				t.Errorf("the loser holds %d dice, want 4", n)
			}
			if n := len(g.player(3 - tc.wantLoser).dice); n != 5 {
				t.Errorf("the winner of the challenge holds %d dice, want 5", n)
			}
			if g.hand != hand+1 || g.toAct() != tc.wantLoser || g.bid.count != 0 {
				t.Errorf("next hand %d opened by %d with bid %+v; want hand %d opened by the loser %d",
					g.hand, g.toAct(), g.bid, hand+1, tc.wantLoser)
			}
			if st := stateOf(t, g, spectators); st["reveal"] == nil {
				t.Error("the state shows no reveal after a challenge")
			}
		})
	}
}

func TestTheTurnTimerTakesADie(t *testing.T) {
	g, rec := newGame(t, 5, game.Options{OptTurnSeconds: 5})
	seat(t, g, 3)
	g.StartRound()
	late := g.toAct()
	g.Disconnected(late) // the timer runs for a player who is away
	rec.take("")
	hand := g.hand
	tick := &game.Tick{DT: 100 * time.Millisecond}
	for range 49 {
		g.Tick(tick)
	}
	if g.hand != hand || len(g.player(late).dice) != 5 {
		t.Fatalf("4.9 s into a 5 s turn: hand %d, %d dice", g.hand, len(g.player(late).dice))
	}
	if ms := stateOf(t, g, spectators)["turn_ms"]; ms != uint8(100) && ms != int8(100) {
		t.Errorf("turn_ms = %v (%T), want 100", ms, ms)
	}
	g.Tick(tick)
	if len(g.player(late).dice) != 4 {
		t.Errorf("a player out of time holds %d dice, want 4", len(g.player(late).dice))
	}
	if g.hand != hand+1 || g.toAct() != late || g.timeLeft != 5*time.Second {
		t.Errorf("after the timeout: hand %d, turn %d, %v left", g.hand, g.toAct(), g.timeLeft)
	}
	if got := rec.take("timeout"); len(got) != 1 || got[0].data.(PlayerEvent).Player != int(late) {
		t.Errorf("timeout events = %+v", got)
	}
	if g.reveal != nil {
		t.Error("a timeout revealed the hand")
	}
	away := func() bool {
		for _, p := range stateOf(t, g, spectators)["players"].([]any) {
			if e := p.([]any); game.PlayerID(reflect.ValueOf(e[0]).Convert(reflect.TypeOf(uint64(0))).Uint()) == late {
				return e[2].(bool)
			}
		}
		t.Fatal("the late player is not at the table")
		return false
	}
	if !away() {
		t.Error("the state does not show the dropped player away")
	}
	g.Reconnected(late)
	if away() {
		t.Error("the state shows the player away after their return")
	}
}

func TestLeavingTakesThePlayersDice(t *testing.T) {
	for _, consented := range []bool{true, false} {
		g, rec := newGame(t, 11, nil)
		seat(t, g, 3)
		g.StartRound()
		g.turn = 1 // player 2 acts
		mustInput(t, g, 2, bidMsg(t, 3, 3))
		rec.take("")
		hand := g.hand
		g.Leave(3, consented) // the player to act leaves
		if g.index(3) >= 0 {
			t.Fatal("the leaver is still seated")
		}
		if g.hand != hand+1 || g.bid.count != 0 || g.toAct() != 1 {
			t.Errorf("consented %v: hand %d, bid %+v, turn %d; want a new hand opened by 1", consented, g.hand, g.bid, g.toAct())
		}
		if out := rec.take("out"); len(out) != 1 || out[0].data != (PlayerEvent{Player: 3, Reason: "left"}) {
			t.Errorf("out events = %+v", out)
		}
		g.Leave(2, consented)
		if !g.RoundOver() || g.winner != 1 {
			t.Fatalf("one player left: over %v, winner %d", g.RoundOver(), g.winner)
		}
		s := g.Scores()
		if len(s) != 3 || s[0].Player != 1 || s[0].Score != 2 || s[1].Player != 2 || s[2].Player != 3 || s[2].Score != 0 {
			t.Errorf("scores = %+v", s)
		}
	}
	t.Run("a player seated before the one to act", func(t *testing.T) {
		g, _ := newGame(t, 11, nil)
		seat(t, g, 3)
		g.StartRound()
		g.turn = 2
		g.Leave(1, true)
		if g.toAct() != 3 {
			t.Errorf("player %d acts after player 1 left, want 3", g.toAct())
		}
	})
}

func TestLateComersWaitForTheNextMatch(t *testing.T) {
	g, _ := newGame(t, 2, game.Options{OptDice: 1})
	seat(t, g, 2)
	g.StartRound()
	if err := g.Join(game.Player{ID: 3, AccountID: "c", Name: "C"}); err != nil {
		t.Fatal(err)
	}
	if err := g.Join(game.Player{ID: 4, AccountID: "s", Name: "S", Spectator: true}); err != nil {
		t.Fatal(err)
	}
	if err := g.Input(3, bidMsg(t, 1, 2)); err != errNotIn {
		t.Errorf("the late comer bid: %v", err)
	}
	st := stateOf(t, g, 3)
	if d := st["dice"].([]any); len(d) != 0 {
		t.Errorf("the late comer sees dice %v", d)
	}
	for g.toAct() != 0 {
		id := g.toAct()
		if g.bid.count == 0 {
			mustInput(t, g, id, bidMsg(t, 1, 2))
		} else {
			mustInput(t, g, id, challengeMsg(t))
		}
	}
	g.StartRound()
	if len(g.player(3).dice) != 1 || !g.player(3).playing {
		t.Errorf("the late comer was not dealt into the next match")
	}
}

// play plays a match of random legal moves to its end.
func play(t *testing.T, g *Game, seed uint64) {
	t.Helper()
	for moves := 0; !g.RoundOver(); moves++ {
		if moves > 1000 {
			t.Fatal("the match does not end")
		}
		id := g.toAct()
		if g.bid.count > 0 && (g.rng.IntN(3) == 0 || g.bid.count >= g.diceInPlay()) {
			mustInput(t, g, id, challengeMsg(t))
			continue
		}
		count, face := max(g.bid.count, 1), g.bid.face+1
		if face > Faces || face < 2 {
			count, face = g.bid.count+1, 2
		}
		mustInput(t, g, id, bidMsg(t, count, face))
	}
}

func TestAMatchIsPlayedToAWinner(t *testing.T) {
	run := func() ([]game.Score, []event) {
		g, rec := newGame(t, 42, game.Options{OptDice: 3})
		seat(t, g, 4)
		g.StartRound()
		play(t, g, 42)
		return g.Scores(), rec.events
	}
	scores, events := run()
	if len(scores) != 4 {
		t.Fatalf("scores = %+v", scores)
	}
	for i, s := range scores {
		if s.Score != 3-i {
			t.Errorf("place %d scores %d, want %d", i, s.Score, 3-i)
		}
		if s.AccountID == "" || s.Name == "" {
			t.Errorf("place %d has no account or name: %+v", i, s)
		}
	}
	outs := 0
	for _, e := range events {
		if e.name == "out" {
			outs++
		}
	}
	if outs != 3 {
		t.Errorf("%d out events, want 3", outs)
	}
	again, _ := run()
	if !reflect.DeepEqual(scores, again) {
		t.Errorf("the same seed played out differently: %+v, then %+v", scores, again)
	}
}

func TestAMatchOfOneHasNoResult(t *testing.T) {
	g, _ := newGame(t, 1, nil)
	seat(t, g, 1)
	g.StartRound()
	if !g.RoundOver() || g.Scores() != nil {
		t.Errorf("a match of one: over %v, scores %+v", g.RoundOver(), g.Scores())
	}
}

func TestEachViewSeesItsOwnDiceAlone(t *testing.T) {
	g, rec := newGame(t, 9, nil)
	seat(t, g, 3)
	if err := g.Join(game.Player{ID: 4, Spectator: true}); err != nil {
		t.Fatal(err)
	}
	if v := g.ViewOf(game.Player{ID: 4, Spectator: true}); v != spectators {
		t.Errorf("a spectator's view is %d", v)
	}
	g.StartRound()
	rolls := map[game.PlayerID][]int{}
	for _, e := range rec.take("roll") {
		if len(e.to) != 1 {
			t.Fatalf("a roll went to %v", e.to)
		}
		rolls[e.to[0]] = e.data.(Roll).Dice
	}
	for id := game.PlayerID(1); id <= 3; id++ {
		v := g.ViewOf(game.Player{ID: id})
		if v == spectators {
			t.Fatalf("player %d shares the spectators' view", id)
		}
		st := stateOf(t, g, v)
		var got []int
		for _, d := range st["dice"].([]any) {
			got = append(got, int(reflect.ValueOf(d).Convert(reflect.TypeOf(0)).Int()))
		}
		if !slices.Equal(got, g.player(id).dice) || !slices.Equal(got, rolls[id]) {
			t.Errorf("player %d sees dice %v; holds %v, was rolled %v", id, got, g.player(id).dice, rolls[id])
		}
		for _, p := range st["players"].([]any) {
			if e := p.([]any); len(e) != 3 {
				t.Errorf("player entry %v", e)
			}
		}
	}
	if d := stateOf(t, g, spectators)["dice"].([]any); len(d) != 0 {
		t.Errorf("spectators see dice %v", d)
	}
	if st := stateOf(t, g, spectators); st["reveal"] != nil || !strings.Contains(strings.Join(keys(st), ","), "turn_ms") {
		t.Errorf("spectators' state = %v", st)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
