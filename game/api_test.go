package game_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// hands is the test game of the API's optional parts: every player holds a secret hand that
// only it sees (one view per player, one for all spectators, unless the shared option puts
// everyone in one view), inputs make it speak through its Dispatcher, and it records what the
// engine tells it.
type hands struct {
	cfg game.Config

	mu         sync.Mutex
	writes     map[game.View]int // WriteState calls per view
	ticks      int               // Tick calls
	left       map[game.PlayerID]bool
	drops      []string // "d:id" and "r:id", in order
	terminated int
	players    []game.Player
}

var (
	_ game.Game        = (*hands)(nil)
	_ game.Connections = (*hands)(nil)
	_ game.Terminator  = (*hands)(nil)
)

// handsOptions are the hands game's create options.
var handsOptions = []game.Option{
	{Name: "hand_size", Type: game.OptionInt, Default: 5, Min: 1, Max: 6},
	{Name: "view", Type: game.OptionEnum, Default: "hidden", Values: []string{"hidden", "shared"}},
	{Name: "house", Type: game.OptionBool, Default: false},
	{Name: "title", Type: game.OptionString, Default: "", Max: 10},
}

func (h *hands) Join(p game.Player) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch p.AccountID {
	case "nobody":
		return errors.New("nobody may sit here")
	case "banned":
		return &wire.Error{Code: wire.CodeForbidden, Message: "banned from the table"}
	}
	h.players = append(h.players, p)
	return nil
}

func (h *hands) Leave(id game.PlayerID, consented bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.left[id] = consented
}

// hand is player id's secret.
func hand(id game.PlayerID) int { return int(id) * 111 }

// Input acts on one field: to (a seat) sends that seat a poke, all broadcasts a hello, finish
// ends the match with a score per player, bad is refused.
func (h *hands) Input(id game.PlayerID, msg []byte) error {
	f := game.NewFields(msg)
	for f.Next() {
		switch f.Key() {
		case "to":
			to := game.PlayerID(f.Uint())
			h.cfg.Out.Send([]game.PlayerID{to}, "poke", map[string]any{"from": id, "hand": hand(to)})
		case "all":
			if f.Bool() {
				h.cfg.Out.Broadcast("hello", id)
			}
		case "finish":
			if f.Bool() {
				h.cfg.Out.Finish([]game.Score{{Player: id, Name: "winner", Score: 3}})
			}
		case "bad":
			f.Skip()
			return errors.New("no bad moves at this table")
		default:
			f.Skip()
		}
	}
	return f.Err()
}

func (h *hands) Tick(*game.Tick) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ticks++
}

func (h *hands) ViewOf(p game.Player) game.View {
	if p.Spectator || h.cfg.Options.String("view") == "shared" {
		return 0
	}
	return game.View(p.ID)
}

func (h *hands) WriteState(v game.View, w *game.StateWriter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes[v]++
	w.Key("view")
	w.Uint(uint64(v))
	if v != 0 {
		w.Key("hand")
		w.Int(int64(hand(game.PlayerID(v))))
	}
}

func (h *hands) Disconnected(id game.PlayerID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drops = append(h.drops, fmt.Sprintf("d:%d", id))
}

func (h *hands) Reconnected(id game.PlayerID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drops = append(h.drops, fmt.Sprintf("r:%d", id))
}

func (h *hands) Terminate() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.terminated++
}

func (h *hands) writesOf(v game.View) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.writes[v]
}

// handsEnv is a registry offering the hands game (and the tally game, first, as the default).
type handsEnv struct {
	*env
	mu    sync.Mutex
	games []*hands
}

func newHandsEnv(t *testing.T, limits game.Limits, def func(*game.Definition)) *handsEnv {
	t.Helper()
	he := &handsEnv{env: &env{t: t, clk: gametest.NewClock(), results: &results{added: make(chan struct{}, 1)}}}
	d := game.Definition{Name: "hands", DisplayName: "Hands", MinPlayers: 1, MaxPlayers: 6, Options: handsOptions,
		New: func(c game.Config) (game.Game, error) {
			if c.Options.String("title") == "refuse" {
				return nil, errors.New("no such table")
			}
			h := &hands{cfg: c, writes: map[game.View]int{}, left: map[game.PlayerID]bool{}}
			he.mu.Lock()
			he.games = append(he.games, h)
			he.mu.Unlock()
			return h, nil
		}}
	if def != nil {
		def(&d)
	}
	he.reg = &game.Registry{
		Games:    []game.Definition{{Name: "tally", New: he.newGame}, d},
		TickRate: rate, Limits: limits, Clock: he.clk, Results: he.results,
	}
	he.reg.Start(context.Background())
	t.Cleanup(he.reg.Close)
	return he
}

// table opens a hands lobby with first seated and returns it with its game.
func (he *handsEnv) table(o game.CreateOptions, first game.Member) (*game.Lobby, *hands) {
	he.t.Helper()
	o.Game = "hands"
	l, _, _, err := he.reg.Create(context.Background(), o, first)
	if err != nil {
		he.t.Fatalf("create %+v: %v", o, err)
	}
	he.mu.Lock()
	defer he.mu.Unlock()
	return l, he.games[len(he.games)-1]
}

// stateOf decodes a member's last snapshot state.
func stateOf(t *testing.T, m *gametest.Member) map[string]any {
	t.Helper()
	s := last(t, m)
	b := append(wire.AppendMapHeader(nil, s.Fields), s.State...)
	var out map[string]any
	if err := msgpack.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s's state: %v", m.Account, err)
	}
	return out
}

func asInt(v any) int {
	switch n := v.(type) {
	case int8:
		return int(n)
	case int16:
		return int(n)
	case int32:
		return int(n)
	case int64:
		return int(n)
	case uint8:
		return int(n)
	case uint16:
		return int(n)
	case uint32:
		return int(n)
	case uint64:
		return int(n)
	}
	return -1
}

// TestEachViewIsEncodedOncePerSnapshot: members who see the same view share one encoding, and
// each member gets its own view's state, never another's hand.
func TestEachViewIsEncodedOncePerSnapshot(t *testing.T) {
	t.Run("hidden hands", func(t *testing.T) {
		he := newHandsEnv(t, game.Limits{}, nil)
		ada, bob, cy := gametest.NewMember("a", "ada"), gametest.NewMember("b", "bob"), gametest.NewMember("c", "cy")
		s1, s2 := gametest.NewMember("s1", "sam"), gametest.NewMember("s2", "sue")
		l, h := he.table(game.CreateOptions{}, ada)
		mustJoin(t, l, bob, false)
		mustJoin(t, l, cy, false)
		mustJoin(t, l, s1, true)
		mustJoin(t, l, s2, true)
		he.ticks(4)
		for _, m := range []*gametest.Member{ada, bob, cy} {
			seat, _ := m.Seat()
			st := stateOf(t, m)
			if asInt(st["view"]) != int(seat.ID) || asInt(st["hand"]) != hand(seat.ID) {
				t.Errorf("%s (seat %d) sees %v", m.Account, seat.ID, st)
			}
			if got := h.writesOf(game.View(seat.ID)); got != 4 {
				t.Errorf("view %d written %d times in 4 snapshots", seat.ID, got)
			}
		}
		for _, m := range []*gametest.Member{s1, s2} {
			if st := stateOf(t, m); asInt(st["view"]) != 0 || st["hand"] != nil {
				t.Errorf("spectator %s sees %v", m.Account, st)
			}
		}
		if got := h.writesOf(0); got != 4 {
			t.Errorf("the spectators' view written %d times in 4 snapshots, want once each", got)
		}
		if s1.StateBuffer() != s2.StateBuffer() || s1.StateBuffer() == ada.StateBuffer() || ada.StateBuffer() == bob.StateBuffer() {
			t.Error("members of one view got different buffers, or of different views the same")
		}
		noViolations(t, ada, bob, cy, s1, s2)
	})
	t.Run("one view for all", func(t *testing.T) {
		he := newHandsEnv(t, game.Limits{}, nil)
		ms := []*gametest.Member{gametest.NewMember("a", "ada"), gametest.NewMember("b", "bob"), gametest.NewMember("c", "cy"), gametest.NewMember("s", "sam")}
		l, h := he.table(game.CreateOptions{Options: map[string]any{"view": "shared"}}, ms[0])
		mustJoin(t, l, ms[1], false)
		mustJoin(t, l, ms[2], false)
		mustJoin(t, l, ms[3], true)
		he.ticks(5)
		if got := h.writesOf(0); got != 5 {
			t.Errorf("the one view written %d times in 5 snapshots", got)
		}
		for _, m := range ms {
			if m.Snapshots() != 5 || m.StateBuffer() != ms[0].StateBuffer() {
				t.Errorf("%s: %d snapshots, its own buffer: %v", m.Account, m.Snapshots(), m.StateBuffer() != ms[0].StateBuffer())
			}
		}
	})
}

// TestASnapshotOfManyViewsAllocatesNothing: the views' buffers are reused from snapshot to
// snapshot.
func TestASnapshotOfManyViewsAllocatesNothing(t *testing.T) {
	he := newHandsEnv(t, game.Limits{}, nil)
	var sinks []*countingMember
	for i := range 4 {
		sinks = append(sinks, &countingMember{id: fmt.Sprint("p", i)})
	}
	l, _ := he.table(game.CreateOptions{}, sinks[0])
	for _, m := range sinks[1:] {
		mustJoin(t, l, m, false)
	}
	he.ticks(3) // buffers grown
	if a := testing.AllocsPerRun(20, func() { he.ticks(1) }); a > 2 {
		t.Errorf("%v allocations per tick of 4 views", a) // the test clock's hand-off allocates a little
	}
	if sinks[3].n == 0 {
		t.Fatal("no snapshots")
	}
}

// countingMember is a Member that only counts snapshots, allocating nothing.
type countingMember struct {
	id string
	n  int
}

func (m *countingMember) AccountID() string           { return m.id }
func (m *countingMember) Name() string                { return m.id }
func (m *countingMember) Joined(game.Seat, game.Info) {}
func (m *countingMember) Snapshot(game.Snapshot)      { m.n++ }
func (m *countingMember) Event(game.Event)            {}

// TestGameEvents: Send reaches the listed seats alone, Broadcast every member, spectators
// included, each with its data encoded once; Finish tells all and records the match.
func TestGameEvents(t *testing.T) {
	he := newHandsEnv(t, game.Limits{}, nil)
	ada, bob, sam := gametest.NewMember("a", "ada"), gametest.NewMember("b", "bob"), gametest.NewMember("s", "sam")
	l, _ := he.table(game.CreateOptions{}, ada)
	a, _ := ada.Seat()
	b := mustJoin(t, l, bob, false)
	mustJoin(t, l, sam, true)
	send := func(seq uint32, kv ...any) {
		t.Helper()
		msg := wire.AppendMapHeader(nil, len(kv)/2+1)
		msg = wire.AppendString(msg, "seq")
		msg = wire.AppendUint(msg, uint64(seq))
		for i := 0; i < len(kv); i += 2 {
			msg = wire.AppendString(msg, kv[i].(string))
			switch v := kv[i+1].(type) {
			case bool:
				msg = wire.AppendBool(msg, v)
			case int:
				msg = wire.AppendInt(msg, int64(v))
			}
		}
		if !l.Input(&a, ada, game.Input{ID: uint64(seq) + 100, Seq: seq, Msg: msg}) {
			t.Fatal("input refused")
		}
	}
	gameEvents := func(m *gametest.Member) []game.Event {
		var out []game.Event
		for _, e := range m.Events() {
			if e.Kind == wire.EventGame {
				out = append(out, e)
			}
		}
		return out
	}
	send(1, "to", int(b.ID))
	he.ticks(1)
	if ev := gameEvents(bob); len(ev) != 1 || ev[0].Name != "poke" || ev[0].Lobby != l.ID() {
		t.Fatalf("bob got %+v", ev)
	} else {
		var data struct {
			From int `msgpack:"from"`
			Hand int `msgpack:"hand"`
		}
		if err := msgpack.Unmarshal(ev[0].Data, &data); err != nil || data.From != int(a.ID) || data.Hand != hand(b.ID) {
			t.Errorf("poke data %+v, %v", data, err)
		}
	}
	if len(gameEvents(ada)) != 0 || len(gameEvents(sam)) != 0 {
		t.Errorf("a poke for bob reached ada %v or sam %v", gameEvents(ada), gameEvents(sam))
	}

	send(2, "all", true)
	he.ticks(1)
	for _, m := range []*gametest.Member{ada, bob, sam} {
		ev := gameEvents(m)
		if len(ev) == 0 || ev[len(ev)-1].Name != "hello" {
			t.Errorf("%s got %+v", m.Account, ev)
			continue
		}
		var from int
		if err := msgpack.Unmarshal(ev[len(ev)-1].Data, &from); err != nil || from != int(a.ID) {
			t.Errorf("hello data %d, %v", from, err)
		}
	}
	if ea, eb := gameEvents(ada), gameEvents(bob); &ea[len(ea)-1].Data[0] != &eb[len(eb)-1].Data[0] {
		t.Error("a broadcast's data was encoded once per member")
	}

	send(3, "finish", true)
	he.ticks(1)
	m := he.results.next(t)
	if m.Game != "hands" || m.LobbyID != l.ID() || len(m.Scores) != 1 || m.Scores[0].Player != a.ID {
		t.Errorf("recorded %+v", m)
	}
	for _, mm := range []*gametest.Member{ada, bob, sam} {
		if !hasEvent(mm, wire.EventRoundOver, 0, "") {
			t.Errorf("%s heard no round_over", mm.Account)
		}
	}
	if s := info(t, l).State; s != game.StateRunning {
		t.Errorf("a game without rounds is %s after Finish, want running", s)
	}

	send(4, "bad", true)
	he.ticks(1)
	if r := ada.InputErrors(); len(r) != 1 || r[0].ID != 104 || !wire.IsCode(r[0].Err, wire.CodeInvalidRequest) {
		t.Errorf("refused inputs %+v", r)
	}
	if s := last(t, ada); s.Ack != 4 {
		t.Errorf("ack %d after a refused input 4, want 4", s.Ack)
	}
	noViolations(t, ada, bob, sam)
}

// TestAGameWithoutRoundsRunsFromItsCreation: no start, no waiting, no round_over of its own.
func TestAGameWithoutRoundsRunsFromItsCreation(t *testing.T) {
	he := newHandsEnv(t, game.Limits{}, nil)
	ada := gametest.NewMember("a", "ada")
	l, _ := he.table(game.CreateOptions{}, ada)
	if s := info(t, l).State; s != game.StateRunning {
		t.Fatalf("state %s, want running", s)
	}
	wantCode(t, l.Start(context.Background(), ada), wire.CodeInvalidRequest)
	he.ticks(3)
	if hasEvent(ada, wire.EventState, 0, "") || hasEvent(ada, wire.EventRoundOver, 0, "") {
		t.Errorf("events %v", ada.EventKinds())
	}
}

// TestJoinLeaveAndConnections: a join the game refuses carries its reason (and its code, for a
// *wire.Error); leave is consented and a grace that runs out is not; drops and returns within
// the grace are told; Terminate comes once, at close.
func TestJoinLeaveAndConnections(t *testing.T) {
	he := newHandsEnv(t, game.Limits{Grace: 3 * period}, nil)
	ada, bob, cy := gametest.NewMember("a", "ada"), gametest.NewMember("b", "bob"), gametest.NewMember("c", "cy")
	l, h := he.table(game.CreateOptions{}, ada)
	_, _, err := l.Join(context.Background(), gametest.NewMember("nobody", "no"), false)
	wantCode(t, err, wire.CodeRefused)
	var we *wire.Error
	if !errors.As(err, &we) || we.Message != "nobody may sit here" {
		t.Errorf("refusal %v", err)
	}
	_, _, err = l.Join(context.Background(), gametest.NewMember("banned", "ban"), true)
	wantCode(t, err, wire.CodeForbidden)

	b := mustJoin(t, l, bob, false)
	c := mustJoin(t, l, cy, false)
	if err := l.Leave(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	l.Disconnect(cy)
	he.ticks(1)
	cy2 := gametest.NewMember("c", "cy")
	mustJoin(t, l, cy2, false)
	l.Disconnect(cy2)
	he.ticks(4) // the grace runs out
	h.mu.Lock()
	consentB, okB := h.left[b.ID]
	consentC, okC := h.left[c.ID]
	drops := slices.Clone(h.drops)
	h.mu.Unlock()
	if !okB || !consentB || !okC || consentC {
		t.Errorf("left: bob %v (consented %v), cy %v (consented %v)", okB, consentB, okC, consentC)
	}
	if want := []string{fmt.Sprint("d:", c.ID), fmt.Sprint("r:", c.ID), fmt.Sprint("d:", c.ID)}; !slices.Equal(drops, want) {
		t.Errorf("drops %v, want %v", drops, want)
	}
	he.reg.Close()
	<-l.Done()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.terminated != 1 {
		t.Errorf("Terminate called %d times", h.terminated)
	}
}

// TestCreateOptions: options are checked against the game's and filled in; the game may refuse
// a create; max_players is bounded by the game's own bounds.
func TestCreateOptions(t *testing.T) {
	he := newHandsEnv(t, game.Limits{}, nil)
	_, h := he.table(game.CreateOptions{Options: map[string]any{"hand_size": float64(3), "house": true}}, gametest.NewMember("a", "ada"))
	if o := h.cfg.Options; o.Int("hand_size") != 3 || !o.Bool("house") || o.String("view") != "hidden" || o.String("title") != "" {
		t.Errorf("options %v", o)
	}
	if h.cfg.MaxPlayers != 6 {
		t.Errorf("max players %d, want the game's 6 (the registry's default 8 is past it)", h.cfg.MaxPlayers)
	}
	for _, c := range []struct {
		name string
		o    game.CreateOptions
	}{
		{"unknown option", game.CreateOptions{Options: map[string]any{"jokers": true}}},
		{"int out of bounds", game.CreateOptions{Options: map[string]any{"hand_size": 7}}},
		{"int not whole", game.CreateOptions{Options: map[string]any{"hand_size": 2.5}}},
		{"int of another type", game.CreateOptions{Options: map[string]any{"hand_size": "5"}}},
		{"enum value unknown", game.CreateOptions{Options: map[string]any{"view": "open"}}},
		{"bool of another type", game.CreateOptions{Options: map[string]any{"house": 1}}},
		{"string too long", game.CreateOptions{Options: map[string]any{"title": "a very long title"}}},
		{"refused by the game", game.CreateOptions{Options: map[string]any{"title": "refuse"}}},
		{"more players than the game seats", game.CreateOptions{MaxPlayers: 7}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.o.Game = "hands"
			_, _, _, err := he.reg.Create(context.Background(), c.o, gametest.NewMember("x", "x"))
			wantCode(t, err, wire.CodeInvalidRequest)
		})
	}
	if _, ok := he.reg.Game("hands"); !ok {
		t.Error("Game does not find hands")
	}
	if he.reg.Default != "tally" {
		t.Errorf("default %q, want the first game", he.reg.Default)
	}
}

// TestSnapshotRateApartFromTickRate: a game ticking at 40 Hz with 10 snapshots a second is
// sent every fourth tick, with the acks of every input applied by then.
func TestSnapshotRateApartFromTickRate(t *testing.T) {
	he := newHandsEnv(t, game.Limits{}, func(d *game.Definition) { d.TickRate, d.SnapshotRate = 40, 10 })
	ada := gametest.NewMember("a", "ada")
	l, h := he.table(game.CreateOptions{}, ada)
	if h.cfg.TickRate != 40 || h.cfg.SnapshotRate != 10 {
		t.Fatalf("config %+v", h.cfg)
	}
	a, _ := ada.Seat()
	tick := time.Second / 40
	for seq := uint32(1); seq <= 6; seq++ {
		l.Input(&a, ada, game.Input{Seq: seq, Msg: inputMsg(seq, 0)})
		he.clk.Advance(tick)
	}
	if n := ada.Snapshots(); n != 1 {
		t.Fatalf("%d snapshots in 6 ticks, want 1 (tick 4)", n)
	}
	if s := last(t, ada); s.Tick != 4 || s.Ack != 4 {
		t.Errorf("snapshot of tick %d ack %d, want 4 and 4", s.Tick, s.Ack)
	}
	he.clk.Advance(2 * tick)
	if s := last(t, ada); ada.Snapshots() != 2 || s.Tick != 8 || s.Ack != 6 {
		t.Errorf("%d snapshots, the last of tick %d ack %d; want 2, 8 and 6", ada.Snapshots(), s.Tick, s.Ack)
	}
	h.mu.Lock()
	ticks := h.ticks
	h.mu.Unlock()
	if ticks != 8 {
		t.Errorf("the game ticked %d times in 8 periods", ticks)
	}
	noViolations(t, ada)
}

// TestTheServersSnapshotRateBoundsEveryLobby: a lobby ticking at 40 Hz under a bound of 15
// snapshots a second sends one every third tick (13 a second), never more than the bound.
func TestTheServersSnapshotRateBoundsEveryLobby(t *testing.T) {
	he := newHandsEnv(t, game.Limits{MaxSnapshotRate: 15}, func(d *game.Definition) { d.TickRate = 40 })
	ada := gametest.NewMember("a", "ada")
	_, h := he.table(game.CreateOptions{}, ada)
	if h.cfg.SnapshotRate != 13 {
		t.Errorf("snapshot rate %d, want 13 (40 Hz / 3)", h.cfg.SnapshotRate)
	}
	for range 7 {
		he.clk.Advance(time.Second / 40)
	}
	if s := last(t, ada); ada.Snapshots() != 2 || s.Tick != 6 {
		t.Errorf("%d snapshots in 7 ticks, the last of tick %d; want 2 and 6", ada.Snapshots(), s.Tick)
	}
}

// TestInputBytesAreBoundedPerSeat: a seat's waiting messages are bounded in bytes as well as in
// count; what does not fit is dropped and counted.
func TestInputBytesAreBoundedPerSeat(t *testing.T) {
	e := newEnv(t, game.Limits{InputBytes: 100})
	alice := gametest.NewMember("a", "alice")
	l, g := e.create(game.CreateOptions{}, alice)
	a, _ := alice.Seat()
	big := append(inputMsg(1, 0), make([]byte, 60)...) // 60 bytes past the map: the game does not read them
	small := inputMsg(2, 0)
	if !l.Input(&a, alice, game.Input{Seq: 1, Msg: big}) {
		t.Fatal("the first message refused")
	}
	if l.Input(&a, alice, game.Input{Seq: 2, Msg: big}) {
		t.Fatal("a second big message fit in 100 bytes")
	}
	if !l.Input(&a, alice, game.Input{Seq: 3, Msg: small}) {
		t.Fatal("a small one did not fit beside the first")
	}
	if n := l.Stats().InputsDropped.Load(); n != 1 {
		t.Errorf("InputsDropped = %d, want 1", n)
	}
	e.ticks(1)
	if got := g.snapshot().inputs; len(got) != 2 || !bytes.Equal(got[0], big) || !bytes.Equal(got[1], small) {
		t.Errorf("applied %x", got)
	}
	if !l.Input(&a, alice, game.Input{Seq: 4, Msg: big}) {
		t.Error("the tick did not free the seat's bytes")
	}
}
