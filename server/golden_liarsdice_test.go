package server

import (
	"slices"
	"testing"

	clientdice "github.com/tickwire/tickwire/clients/goclient/liarsdice"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/liarsdice"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// goldenDispatcher keeps the game events of the golden Liar's Dice table.
type goldenDispatcher struct{ events []game.Event }

func (d *goldenDispatcher) Send(to []game.PlayerID, name string, data any) { d.Broadcast(name, data) }
func (d *goldenDispatcher) Broadcast(name string, data any) {
	b, _ := msgpack.Marshal(data) // as the lobby's dispatcher encodes it
	d.events = append(d.events, game.Event{Kind: wire.EventGame, Name: name, Data: b})
}
func (d *goldenDispatcher) Finish([]game.Score) {}

// liarsdiceVectors are the golden frames of Liar's Dice (PROTOCOL.md, "Liar's Dice"): its two
// inputs as the Go client sends them, a real table's snapshot as a player and as a spectator
// see it, and its reveal and roll events.
func liarsdiceVectors(t *testing.T, enc func(string, uint64, any) []byte) []struct {
	name  string
	frame []byte
} {
	input := func(seq uint32, fields []byte, n int) []byte {
		b := append([]byte{0x82, 0xa1, 't'}, wire.AppendString(nil, wire.TypeInput)...)
		b = append(b, 0xa1, 'd')
		b = wire.AppendMapHeader(b, n+1)
		b = wire.AppendString(b, "seq")
		b = wire.AppendUint(b, uint64(seq))
		return append(b, fields...)
	}
	bid, n := clientdice.AppendBid(nil, 3, 5)
	challenge, m := clientdice.AppendChallenge(nil)

	// A table of three, seeded: the first hand is bid on and challenged, the second opened.
	out := &goldenDispatcher{}
	g, err := liarsdice.New(game.Config{TickRate: liarsdice.TickRate, SnapshotRate: liarsdice.SnapshotRate,
		MaxPlayers: 6, Seed: 7, Options: game.Options{liarsdice.OptDice: 3}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"ada", "bob", "cy"} {
		if err := g.Join(game.Player{ID: game.PlayerID(i + 1), Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Join(game.Player{ID: 4, Name: "sam", Spectator: true}); err != nil {
		t.Fatal(err)
	}
	g.StartRound()
	var st struct {
		Turn uint32   `msgpack:"turn"`
		Bid  []uint32 `msgpack:"bid"`
	}
	state := func(v game.View) ([]byte, int) {
		sw := game.NewStateWriter()
		g.WriteState(v, sw)
		b, n := sw.Bytes()
		return slices.Clone(b), n
	}
	read := func() {
		b, n := state(0)
		if err := msgpack.Unmarshal(append(wire.AppendMapHeader(nil, n), b...), &st); err != nil {
			t.Fatal(err)
		}
	}
	act := func(fields []byte, n int) {
		read()
		msg := append(wire.AppendMapHeader(nil, n+1), wire.AppendString(nil, "seq")...)
		msg = append(wire.AppendUint(msg, 1), fields...)
		if err := g.Input(game.PlayerID(st.Turn), msg); err != nil {
			t.Fatal(err)
		}
	}
	act(clientdice.AppendBid(nil, 2, 3))
	act(clientdice.AppendChallenge(nil))
	act(clientdice.AppendBid(nil, 1, 4))
	read()
	next := st.Turn % 3 // any player but the bidder: ids 1 to 3
	if next == 0 {
		next = 3
	}
	ps, pn := state(g.ViewOf(game.Player{ID: game.PlayerID(next)}))
	ss, sn := state(g.ViewOf(game.Player{ID: 4, Spectator: true}))

	vectors := []struct {
		name  string
		frame []byte
	}{
		{"input.liarsdice_bid", input(17, bid, n)},
		{"input.liarsdice_challenge", input(18, challenge, m)},
		{"snapshot.liarsdice_player", appendSnapshot(nil, game.Snapshot{Tick: 240, Ack: 2, State: ps, Fields: pn})},
		{"snapshot.liarsdice_spectator", appendSnapshot(nil, game.Snapshot{Tick: 240, State: ss, Fields: sn})},
	}
	for _, name := range []string{"roll", "reveal"} {
		i := slices.IndexFunc(out.events, func(e game.Event) bool { return e.Name == name })
		if i < 0 {
			t.Fatalf("the golden table sent no %s event", name)
		}
		e := out.events[i]
		e.Lobby = "lk3nbq7zt2mx"
		vectors = append(vectors, struct {
			name  string
			frame []byte
		}{"event.game_liarsdice_" + name, enc(wire.TypeEvent, 0, eventFrame(e))})
	}
	return vectors
}
