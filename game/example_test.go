package game_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// highLow is a complete game: the lobby hides a number, players guess it, and each player sees
// only its own guesses and hints; spectators see how many guesses were made. The first to
// guess right wins the match, which every member hears of and the results keep.
type highLow struct {
	out     game.Dispatcher
	secret  int
	guesses int
	last    map[game.PlayerID]int    // each player's last guess
	hint    map[game.PlayerID]string // "higher", "lower" or "right"
	names   map[game.PlayerID]string
}

// highLowGame is the game as a server registers it: in Registry.Games, or in server.Config's
// list of games.
var highLowGame = game.Definition{
	Name: "highlow", DisplayName: "High-Low", MinPlayers: 1, MaxPlayers: 8,
	TickRate: 10, SnapshotRate: 5, // a turn-paced game needs few ticks and fewer snapshots
	Options: []game.Option{
		{Name: "max", Type: game.OptionInt, Default: 100, Min: 10, Max: 1000, Description: "the number is 1 to max"},
	},
	New: func(c game.Config) (game.Game, error) {
		return &highLow{
			out:    c.Out,
			secret: 1 + int(c.Seed*37)%c.Options.Int("max"), // the lobby's seed: the same seed plays the same
			last:   map[game.PlayerID]int{}, hint: map[game.PlayerID]string{}, names: map[game.PlayerID]string{},
		}, nil
	},
}

// Join seats anyone; a game could refuse here (a full table, a banned name) with an error.
func (g *highLow) Join(p game.Player) error {
	g.names[p.ID] = p.Name
	return nil
}

// Leave forgets the player, whether it left on purpose or its grace ran out.
func (g *highLow) Leave(id game.PlayerID, consented bool) {
	delete(g.last, id)
	delete(g.hint, id)
}

// Input reads {"seq": uint, "guess": int}: seq is the engine's, guess the game's.
func (g *highLow) Input(id game.PlayerID, msg []byte) error {
	guess := 0
	f := game.NewFields(msg)
	for f.Next() {
		switch f.Key() {
		case "guess":
			guess = int(f.Int())
		default:
			f.Skip() // seq, and anything a newer client sends
		}
	}
	if err := f.Err(); err != nil {
		return err // the client hears invalid_request with this text
	}
	if guess < 1 {
		return fmt.Errorf("guess must be a positive integer")
	}
	g.guesses++
	g.last[id] = guess
	switch {
	case guess < g.secret:
		g.hint[id] = "higher"
	case guess > g.secret:
		g.hint[id] = "lower"
	default:
		g.hint[id] = "right"
		g.out.Broadcast("found", map[string]any{"player": g.names[id], "number": g.secret})
		g.out.Finish([]game.Score{{Player: id, Name: g.names[id], Score: 1}})
	}
	return nil
}

// Tick has nothing to do: the game moves only on inputs. A turn timer would count t.DT here.
func (g *highLow) Tick(*game.Tick) {}

// ViewOf gives each player a view of its own and all spectators one.
func (g *highLow) ViewOf(p game.Player) game.View {
	if p.Spectator {
		return 0
	}
	return game.View(p.ID)
}

// WriteState writes a view: the count of guesses for all, and a player's own last guess and
// hint for its own view. It is called once per distinct view per snapshot.
func (g *highLow) WriteState(v game.View, w *game.StateWriter) {
	w.Key("guesses")
	w.Uint(uint64(g.guesses))
	if id := game.PlayerID(v); v != 0 && g.hint[id] != "" {
		w.Key("last")
		w.Int(int64(g.last[id]))
		_ = w.Field("hint").EncodeString(g.hint[id])
	}
}

// A lobby of the highLow game above, driven by hand: two players guess, a spectator watches,
// and each sees its own view. A server does the same with sockets for members.
func Example() {
	clk := gametest.NewClock() // a clock the example steps; a server uses the real one
	reg := &game.Registry{Games: []game.Definition{highLowGame}, Clock: clk}
	reg.Start(context.Background())
	defer reg.Close()

	ada, bob, sam := gametest.NewMember("a1", "ada"), gametest.NewMember("b2", "bob"), gametest.NewMember("s3", "sam")
	lobby, adaSeat, _, err := reg.Create(context.Background(), game.CreateOptions{Options: map[string]any{"max": 50}}, ada)
	if err != nil {
		panic(err)
	}
	bobSeat, _, _ := lobby.Join(context.Background(), bob, false)
	_, _, _ = lobby.Join(context.Background(), sam, true) // a spectator

	guess := func(seat game.Seat, m *gametest.Member, seq uint32, n int) {
		msg := wire.AppendMapHeader(nil, 2) // what a client puts in an input frame's d
		msg = wire.AppendString(msg, "seq")
		msg = wire.AppendUint(msg, uint64(seq))
		msg = wire.AppendString(msg, "guess")
		msg = wire.AppendInt(msg, int64(n))
		lobby.Input(&seat, m, game.Input{Seq: seq, Msg: msg})
	}
	show := func(m *gametest.Member) {
		s, _ := m.Last()
		var state map[string]any
		_ = msgpack.Unmarshal(append(wire.AppendMapHeader(nil, s.Fields), s.State...), &state)
		fmt.Printf("%s at tick %d, ack %d: %v\n", m.Nickname, s.Tick, s.Ack, state)
	}

	guess(adaSeat, ada, 1, 25)
	guess(bobSeat, bob, 1, 40)
	clk.Advance(200 * time.Millisecond) // two ticks at 10 Hz, one snapshot at 5 Hz
	show(ada)
	show(bob)
	show(sam)

	guess(bobSeat, bob, 2, 38) // the lobby's number: 1 + 37 % 50
	clk.Advance(200 * time.Millisecond)
	for _, e := range sam.Events() {
		if e.Kind == wire.EventGame {
			var data map[string]any
			_ = msgpack.Unmarshal(e.Data, &data)
			fmt.Printf("event %s: %v\n", e.Name, data)
		}
		if e.Kind == wire.EventRoundOver {
			fmt.Printf("round over: %s scores %d\n", e.Scores[0].Name, e.Scores[0].Score)
		}
	}
	show(bob)
	// Output:
	// ada at tick 2, ack 1: map[guesses:2 hint:higher last:25]
	// bob at tick 2, ack 1: map[guesses:2 hint:lower last:40]
	// sam at tick 2, ack 0: map[guesses:2]
	// event found: map[number:38 player:bob]
	// round over: bob scores 1
	// bob at tick 4, ack 2: map[guesses:3 hint:right last:38]
}
