package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// tally is a game that exists only in this file, offered through the public API alone: its
// rules below, and one line in the server's Config (withTally). Players add 1 to 9 to a
// shared total with inputs {"add": n}; the snapshot shows the total to all and each player's
// own part to that player only; reaching the goal option tells everyone in a game event
// ("reached") and records the match. It has no rounds, so its lobbies run from creation.
type tally struct {
	out        game.Dispatcher
	goal       int
	spectators bool
	total      int
	parts      map[game.PlayerID]int
	seated     []game.Player
	done       bool
}

// tallyDefinition is tally as a server registers it.
func tallyDefinition() game.Definition {
	return game.Definition{
		Name: "tally", DisplayName: "Tally", MinPlayers: 1, MaxPlayers: 4, TickRate: 10,
		Options: []game.Option{
			{Name: "goal", Type: game.OptionInt, Default: 10, Min: 1, Max: 100, Description: "the total that ends the match"},
			{Name: "spectators", Type: game.OptionBool, Default: false, Description: "whether anyone may watch"},
			{Name: "pace", Type: game.OptionEnum, Default: "calm", Values: []string{"calm", "brisk"}, Description: "how it feels"},
		},
		New: func(c game.Config) (game.Game, error) {
			goal := c.Options.Int("goal")
			if goal > 9*c.MaxPlayers*4 {
				return nil, fmt.Errorf("a goal of %d is out of reach for %d players", goal, c.MaxPlayers)
			}
			return &tally{out: c.Out, goal: goal, spectators: c.Options.Bool("spectators"), parts: map[game.PlayerID]int{}}, nil
		},
	}
}

// withTally offers tally beside Tickwire's own games: the one line a third game takes.
func withTally(c *server.Config) { c.Games = append(server.Games(*c), tallyDefinition()) }

func (g *tally) Join(p game.Player) error {
	if p.Spectator && !g.spectators {
		return errors.New("this tally takes no spectators")
	}
	if !p.Spectator {
		g.seated = append(g.seated, p)
	}
	return nil
}

func (g *tally) Leave(id game.PlayerID, _ bool) {
	g.seated = slices.DeleteFunc(g.seated, func(p game.Player) bool { return p.ID == id })
}

func (g *tally) Input(id game.PlayerID, msg []byte) error {
	add := int64(0)
	f := game.NewFields(msg)
	for f.Next() {
		switch f.Key() {
		case "add":
			add = f.Int()
		default:
			f.Skip()
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	if add < 1 || add > 9 {
		return errors.New("add must be 1 to 9")
	}
	if g.done {
		return nil
	}
	g.total += int(add)
	g.parts[id] += int(add)
	if g.total >= g.goal {
		g.done = true
		g.out.Broadcast("reached", map[string]any{"total": g.total})
		scores := make([]game.Score, 0, len(g.seated))
		for _, p := range g.seated {
			scores = append(scores, game.Score{Player: p.ID, AccountID: p.AccountID, Name: p.Name, Score: g.parts[p.ID]})
		}
		slices.SortStableFunc(scores, func(a, b game.Score) int { return b.Score - a.Score })
		g.out.Finish(scores)
	}
	return nil
}

func (g *tally) Tick(*game.Tick) {}

// ViewOf gives each player a view of its own, for its part; spectators share view 0.
func (g *tally) ViewOf(p game.Player) game.View {
	if p.Spectator {
		return 0
	}
	return game.View(p.ID)
}

func (g *tally) WriteState(v game.View, w *game.StateWriter) {
	w.Key("total")
	w.Int(int64(g.total))
	if v != 0 {
		w.Key("mine")
		w.Int(int64(g.parts[game.PlayerID(v)]))
	}
}

// catalogPlayer signs in a guest and opens a socket of the Go SDK.
func catalogPlayer(t *testing.T, srv *servertest.Server, name string) (*goclient.Conn, string) {
	t.Helper()
	tok := srv.Guest(t, name).AccessToken
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := goclient.Dial(ctx, goclient.WebSocketURL(srv.URL()), tok)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, tok
}

func TestGamesListsEveryGameWithItsOptions(t *testing.T) {
	srv := servertest.Start(t, withTally)
	api := srv.Client(t, "")
	servertest.WantError(t, "games without a token", api.Do(http.MethodGet, "/api/v1/games", "", nil), http.StatusUnauthorized, wire.CodeInvalidToken)

	tok := srv.Guest(t, "ann").AccessToken
	r := api.Do(http.MethodGet, "/api/v1/games", tok, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/games: %d %s", r.Status, r.Body)
	}
	var got struct {
		Games []struct {
			Name        string                     `json:"name"`
			DisplayName string                     `json:"display_name"`
			MinPlayers  int                        `json:"min_players"`
			MaxPlayers  int                        `json:"max_players"`
			Options     map[string]json.RawMessage `json:"options"`
		} `json:"games"`
	}
	r.Decode(t, &got)
	var names []string
	for _, g := range got.Games {
		names = append(names, g.Name)
	}
	if want := []string{"arena", "liarsdice", "tally"}; !slices.Equal(names, want) {
		t.Fatalf("games %v, want %v: the default first, then in the list's order", names, want)
	}
	arena, tal := got.Games[0], got.Games[2]
	if arena.DisplayName != "Arena" || arena.MinPlayers != 1 || arena.MaxPlayers != 64 || len(arena.Options) != 0 {
		t.Errorf("arena = %+v", arena)
	}
	if tal.DisplayName != "Tally" || tal.MinPlayers != 1 || tal.MaxPlayers != 4 {
		t.Errorf("tally = %+v", tal)
	}
	want := map[string]string{
		"goal":       `{"type":"int","default":10,"min":1,"max":100,"description":"the total that ends the match"}`,
		"spectators": `{"type":"bool","default":false,"description":"whether anyone may watch"}`,
		"pace":       `{"type":"enum","default":"calm","values":["calm","brisk"],"description":"how it feels"}`,
	}
	for name, w := range want {
		if string(tal.Options[name]) != w {
			t.Errorf("option %s = %s, want %s", name, tal.Options[name], w)
		}
	}
	// The options come in the order the game lists them, for clients that show them so.
	body := string(r.Body)
	if i, j, k := strings.Index(body, `"goal"`), strings.Index(body, `"spectators"`), strings.Index(body, `"pace"`); i < 0 || i > j || j > k {
		t.Errorf("options out of the game's order: %s", body)
	}

	// The Go SDK reads the same list.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	games, err := goclient.New(srv.URL()).Games(ctx, tok)
	if err != nil || len(games) != 3 || games[2].Options["goal"].Type != "int" || *games[2].Options["goal"].Max != 100 || games[2].Options["pace"].Values[1] != "brisk" {
		t.Fatalf("goclient Games = %+v, %v", games, err)
	}
}

func TestCreateTakesAGameAndChecksItsOptions(t *testing.T) {
	srv := servertest.Start(t, withTally)
	ann, tok := catalogPlayer(t, srv, "ann")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		what string
		req  wire.Create
		text string
	}{
		{"an unknown game", wire.Create{Game: "chess"}, `no game named "chess"`},
		{"an unknown option", wire.Create{Game: "tally", Options: map[string]any{"colour": "red"}}, `no option named "colour"`},
		{"an int option of another type", wire.Create{Game: "tally", Options: map[string]any{"goal": "ten"}}, "option goal must be an integer"},
		{"an int option out of bounds", wire.Create{Game: "tally", Options: map[string]any{"goal": 101}}, "option goal must be 1 to 100"},
		{"a bool option of another type", wire.Create{Game: "tally", Options: map[string]any{"spectators": 1}}, "option spectators must be true or false"},
		{"an enum option off its values", wire.Create{Game: "tally", Options: map[string]any{"pace": "wild"}}, "option pace must be one of calm, brisk"},
		{"options the game's New refuses", wire.Create{Game: "tally", MaxPlayers: 1, Options: map[string]any{"goal": 99}}, "a goal of 99 is out of reach for 1 players"},
		{"more players than the game seats", wire.Create{Game: "tally", MaxPlayers: 5}, "max_players must be 1 to 4 for tally"},
		{"options for a game without them", wire.Create{Options: map[string]any{"goal": 3}}, `no option named "goal"`},
	} {
		_, err := ann.Create(ctx, tc.req)
		wantServerError(t, err, wire.CodeInvalidRequest, tc.text)
		if t.Failed() {
			t.Fatalf("%s: create %+v", tc.what, tc.req)
		}
	}

	j, err := ann.Create(ctx, wire.Create{Name: "counting", Game: "tally", Options: map[string]any{"goal": 5, "pace": "brisk"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.Lobby.Game != "tally" || j.Lobby.MaxPlayers != 4 || j.Lobby.TickRate != 10 || j.Lobby.State != string(game.StateRunning) {
		t.Fatalf("joined %+v: want a running tally lobby of 4 seats at the game's 10 Hz", j.Lobby)
	}
	var list struct {
		Lobbies []struct{ Name, Game string } `json:"lobbies"`
	}
	lobGet(t, srv, "/api/v1/lobbies", tok, &list)
	if len(list.Lobbies) != 1 || list.Lobbies[0].Game != "tally" {
		t.Fatalf("lobby list %+v: want the tally lobby with its game", list.Lobbies)
	}
	if err := ann.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	// Without game, create makes the default game's lobby as before.
	j, err = ann.Create(ctx, wire.Create{})
	if err != nil || j.Lobby.Game != "arena" {
		t.Fatalf("create without game = %+v, %v; want an arena lobby", j.Lobby, err)
	}
}

func TestQuickJoinFindsTheGameAskedFor(t *testing.T) {
	srv := servertest.Start(t, withTally)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann, _ := catalogPlayer(t, srv, "ann")
	bob, _ := catalogPlayer(t, srv, "bob")
	cat, _ := catalogPlayer(t, srv, "cat")
	dan, _ := catalogPlayer(t, srv, "dan")

	a, err := ann.QuickJoin(ctx, "tally")
	if err != nil || a.Lobby.Game != "tally" {
		t.Fatalf("ann's quick join of tally = %+v, %v", a.Lobby, err)
	}
	// An arena lobby with room does not take a quick join of tally, nor the other way round.
	c, err := cat.QuickJoin(ctx, "")
	if err != nil || c.Lobby.Game != "arena" || c.Lobby.ID == a.Lobby.ID {
		t.Fatalf("cat's quick join of the default game = %+v, %v; want an arena lobby of its own", c.Lobby, err)
	}
	b, err := bob.QuickJoin(ctx, "tally")
	if err != nil || b.Lobby.ID != a.Lobby.ID {
		t.Fatalf("bob's quick join of tally = %+v, %v; want ann's lobby %s", b.Lobby, err, a.Lobby.ID)
	}
	d, err := dan.QuickJoin(ctx, "arena")
	if err != nil || d.Lobby.ID != c.Lobby.ID {
		t.Fatalf("dan's quick join of arena = %+v, %v; want cat's lobby %s", d.Lobby, err, c.Lobby.ID)
	}

	eve, _ := catalogPlayer(t, srv, "eve")
	_, err = eve.QuickJoin(ctx, "chess")
	wantServerError(t, err, wire.CodeInvalidRequest, `no game named "chess"`)
	_, err = eve.Join(ctx, wire.Join{Lobby: a.Lobby.ID, Game: "tally"})
	wantServerError(t, err, wire.CodeInvalidRequest, "game")
}

// snapshotState reads frames until a snapshot and returns its fields.
func snapshotState(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	for {
		env := servertest.ReadAny(t, ws)
		if env.T != wire.TypeSnapshot {
			continue
		}
		var m map[string]any
		if err := msgpack.Unmarshal(env.D, &m); err != nil {
			t.Fatalf("snapshot %x: %v", env.D, err)
		}
		return m
	}
}

// TestAThirdGamePlaysThroughARealSocket plays tally, which the server knows only through
// Config.Games, over sockets: options reach the game, inputs reach it as its own fields,
// each player sees its own part and never another's, a bad input is answered without closing
// the socket, the game's event reaches everyone and its match is recorded.
func TestAThirdGamePlaysThroughARealSocket(t *testing.T) {
	srv := servertest.Start(t, withTally)
	annTok := srv.Guest(t, "ann").AccessToken
	ann := srv.Dial(t, annTok)
	servertest.WriteEnvelope(t, ann, wire.TypeCreate, 1, map[string]any{"game": "tally", "options": map[string]any{"goal": 6}})
	var j wire.Joined
	servertest.DecodePayload(t, expectFrame(t, ann, wire.TypeJoined, 1), &j)
	bob := srv.Dial(t, srv.Guest(t, "bob").AccessToken)
	servertest.WriteEnvelope(t, bob, wire.TypeJoin, 1, wire.Join{Lobby: j.Lobby.ID})
	expectFrame(t, bob, wire.TypeJoined, 1)

	// Spectators are the game's to refuse: this tally was made without them.
	eve := srv.Dial(t, srv.Guest(t, "eve").AccessToken)
	servertest.WriteEnvelope(t, eve, wire.TypeJoin, 1, wire.Join{Lobby: j.Lobby.ID, Spectate: true})
	var refused wire.Error
	servertest.DecodePayload(t, expectFrame(t, eve, wire.TypeError, 1), &refused)
	if refused.Code != wire.CodeRefused || !strings.Contains(refused.Message, "no spectators") {
		t.Fatalf("spectator = %+v, want refused by the game", refused)
	}

	// A field of the wrong type is the game's error, on the input's id, and the socket stays.
	servertest.WriteEnvelope(t, ann, wire.TypeInput, 7, map[string]any{"seq": 1, "add": "two"})
	var bad wire.Error
	servertest.DecodePayload(t, expectFrame(t, ann, wire.TypeError, 7), &bad)
	if bad.Code != wire.CodeInvalidRequest || !strings.Contains(bad.Message, "add") {
		t.Fatalf("bad input = %+v, want invalid_request naming add", bad)
	}

	servertest.WriteEnvelope(t, ann, wire.TypeInput, 0, map[string]any{"seq": 2, "add": 4})
	for {
		s := snapshotState(t, ann)
		if s["ack"] == uint64(2) || s["ack"] == int8(2) || fmt.Sprint(s["ack"]) == "2" {
			if fmt.Sprint(s["total"]) != "4" || fmt.Sprint(s["mine"]) != "4" {
				t.Fatalf("ann's snapshot %v: want total 4, mine 4", s)
			}
			break
		}
	}
	for {
		s := snapshotState(t, bob)
		if fmt.Sprint(s["total"]) == "4" {
			if fmt.Sprint(s["mine"]) != "0" {
				t.Fatalf("bob's snapshot %v: bob's part is 0, and ann's is not his to see", s)
			}
			break
		}
	}

	servertest.WriteEnvelope(t, bob, wire.TypeInput, 0, map[string]any{"seq": 1, "add": 3})
	for _, ws := range []*websocket.Conn{ann, bob} {
		reached := expectEvent(t, ws, wire.EventGame)
		var data struct {
			Total int `msgpack:"total"`
		}
		if err := msgpack.Unmarshal(reached.Data, &data); err != nil || reached.Name != "reached" || data.Total != 7 {
			t.Fatalf("game event %+v, want reached with total 7", reached)
		}
		over := expectEvent(t, ws, wire.EventRoundOver)
		if len(over.Scores) != 2 || !strings.HasPrefix(over.Scores[0].Name, "ann") || over.Scores[0].Score != 4 || over.Scores[1].Score != 3 {
			t.Fatalf("round_over %+v, want ann 4, bob 3", over.Scores)
		}
	}
	var mine struct {
		Matches []struct {
			Game  string `json:"game"`
			Score int    `json:"score"`
		} `json:"matches"`
	}
	servertest.Eventually(t, 5*time.Second, "ann's tally match recorded", func() bool {
		lobGet(t, srv, "/api/v1/me/matches", annTok, &mine)
		return len(mine.Matches) == 1
	})
	if mine.Matches[0].Game != "tally" || mine.Matches[0].Score != 4 {
		t.Fatalf("ann's matches %+v", mine.Matches)
	}
}

// TestAProgramOfItsOwnOffersItsGamesThroughMain runs server.Main as a main.go of its own
// would, with Env.Games: the whole command line, and its games beside Tickwire's.
func TestAProgramOfItsOwnOffersItsGamesThroughMain(t *testing.T) {
	m := servertest.StartMainEnv(t, server.Env{Args: []string{"--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-level", "warn"},
		Games: func(c server.Config) []game.Definition { return append(server.Games(c), tallyDefinition()) }})
	api := servertest.NewClient(t, m.URL, "")
	tok := api.Guest("ann").AccessToken
	var got struct {
		Games []struct{ Name string } `json:"games"`
	}
	api.Do(http.MethodGet, "/api/v1/games", tok, nil).Decode(t, &got)
	if len(got.Games) != 3 || got.Games[0].Name != "arena" || got.Games[2].Name != "tally" {
		t.Fatalf("games %+v, want arena, liarsdice, then tally", got.Games)
	}
	if code := m.Stop(); code != 0 {
		t.Fatalf("Main exited %d: %s", code, m.Stderr)
	}
}

func TestAServerRefusesABrokenListOfGames(t *testing.T) {
	good := tallyDefinition()
	for _, tc := range []struct {
		what  string
		games func() []game.Definition
		text  string
	}{
		{"two games of one name", func() []game.Definition { return []game.Definition{good, good} }, "a second game of that name"},
		{"a game without New", func() []game.Definition { d := good; d.New = nil; return []game.Definition{d} }, "no New"},
		{"a name that is not a name", func() []game.Definition { d := good; d.Name = "Tally Ho"; return []game.Definition{d} }, "a name is"},
		{"a default its option refuses", func() []game.Definition {
			d := good
			d.Options = []game.Option{{Name: "goal", Type: game.OptionInt, Default: 500, Min: 1, Max: 100}}
			return []game.Definition{d}
		}, "option goal must be 1 to 100"},
		{"an option of no known type", func() []game.Definition {
			d := good
			d.Options = []game.Option{{Name: "goal", Type: "float", Default: 1.5}}
			return []game.Definition{d}
		}, `unknown type "float"`},
	} {
		cfg := server.DefaultConfig()
		cfg.Data = t.TempDir()
		cfg.Games = tc.games()
		_, err := server.Open(context.Background(), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: Open = %v, want an error with %q", tc.what, err, tc.text)
		}
	}
}
