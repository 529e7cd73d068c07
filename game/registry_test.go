package game_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/gametest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestQuickJoinFillsOneLobbyThatRunsItsOwnRounds(t *testing.T) {
	e := newEnv(t, game.Limits{AutoStartPlayers: 2, RoundPause: time.Second})
	e.template.roundTicks = 5
	ctx := context.Background()
	alice, bob := gametest.NewMember("a", "alice"), gametest.NewMember("b", "bob")

	l, sa, _, err := e.reg.QuickJoin(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Host {
		t.Error("a quick lobby has a host")
	}
	e.ticks(3)
	if i := info(t, l); i.State != game.StateWaiting {
		t.Fatalf("started with one player: %s", i.State)
	}
	l2, sb, _, err := e.reg.QuickJoin(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if l2 != l {
		t.Fatalf("bob went to %s, not alice's %s", l2.ID(), l.ID())
	}
	wantCode(t, l.Start(ctx, alice), wire.CodeForbidden)

	e.ticks(1)
	started := e.clk.Now()
	if i := info(t, l); i.State != game.StateRunning {
		t.Fatalf("state = %s, want running once two are in", i.State)
	}
	l.Input(&sa, alice, game.Input{Seq: 1, Msg: inputMsg(1, 0)})
	l.Input(&sa, alice, game.Input{Seq: 2, Msg: inputMsg(2, 0)})
	l.Input(&sb, bob, game.Input{Seq: 1, Msg: inputMsg(1, 0)})
	e.ticks(4)
	if i := info(t, l); i.State != game.StateRunning {
		t.Fatalf("state = %s after 4 of the round's 5 ticks", i.State)
	}
	e.ticks(1)
	ended := e.clk.Now()
	if i := info(t, l); i.State != game.StateFinished {
		t.Fatalf("state = %s, want finished after 5 ticks", i.State)
	}

	t.Run("the round's result is recorded", func(t *testing.T) {
		m := e.results.next(t)
		if m.LobbyID != l.ID() || m.Game != "tally" || !m.Started.Equal(started) || !m.Ended.Equal(ended) || m.Ended.Sub(m.Started) != 5*period {
			t.Errorf("match = %+v, want started %v ended %v", m, started, ended)
		}
		if len(m.Scores) != 2 || m.Scores[0].AccountID != "a" || m.Scores[0].Score != 2 || m.Scores[1].Score != 1 {
			t.Errorf("scores = %+v", m.Scores)
		}
	})
	t.Run("the members hear the scores", func(t *testing.T) {
		var over *game.Event
		for _, ev := range bob.Events() {
			if ev.Kind == wire.EventRoundOver {
				over = &ev
			}
		}
		if over == nil || len(over.Scores) != 2 {
			t.Fatalf("bob's events: %v", bob.EventKinds())
		}
	})
	t.Run("after the pause the next round starts", func(t *testing.T) {
		e.ticks(9)
		if i := info(t, l); i.State != game.StateFinished {
			t.Fatalf("the pause ended early: %s", i.State)
		}
		e.ticks(1)
		if i := info(t, l); i.State != game.StateRunning {
			t.Fatalf("state = %s, want the next round running", i.State)
		}
	})
	noViolations(t, alice, bob)
}

func TestQuickJoinPrefersTheFullestLobbyAndYourOwnSeat(t *testing.T) {
	e := newEnv(t, game.Limits{AutoStartPlayers: 10})
	ctx := context.Background()
	small, _ := e.create(game.CreateOptions{Name: "small"}, gametest.NewMember("a", "alice"))
	big, _ := e.create(game.CreateOptions{Name: "big"}, gametest.NewMember("b", "bob"))
	mustJoin(t, big, gametest.NewMember("c", "carol"), false)
	private, _ := e.create(game.CreateOptions{Private: true, MaxPlayers: 64}, gametest.NewMember("p", "pat"))
	for range 3 {
		mustJoin(t, private, gametest.NewMember(strings.Repeat("x", 1+len(info(t, private).Seats)), "x"), false)
	}
	dan := gametest.NewMember("d", "dan")
	l, _, _, err := e.reg.QuickJoin(ctx, dan)
	if err != nil || l != big {
		t.Fatalf("dan went to %v (%v), want big", l, err)
	}
	// alice drops from small; her quick join takes her back there, though big is fuller.
	alice := gametest.NewMember("a", "alice")
	small.Disconnect(alice)
	l, s, _, err := e.reg.QuickJoin(ctx, alice)
	if err != nil || l != small || s.ID != 1 {
		t.Fatalf("alice went to %v seat %d (%v), want small seat 1", l, s.ID, err)
	}
	// When nothing public has room, quick join opens a lobby.
	e.create(game.CreateOptions{MaxPlayers: 1}, gametest.NewMember("f", "fay"))
	for _, l := range []*game.Lobby{small, big} {
		for n := 0; info(t, l).Players < 8; n++ {
			mustJoin(t, l, gametest.NewMember(l.ID()+string(rune('a'+n)), "h"), false)
		}
	}
	before := len(e.reg.List())
	l, _, _, err = e.reg.QuickJoin(ctx, gametest.NewMember("z", "zed"))
	if err != nil || l == small || l == big || len(e.reg.List()) != before+1 {
		t.Fatalf("zed went to %v (%v); lobbies %d, want a new one", l, err, len(e.reg.List()))
	}
}

func TestCreateChecksItsOptions(t *testing.T) {
	e := newEnv(t, game.Limits{})
	for _, tc := range []struct {
		name string
		o    game.CreateOptions
		want string // part of the error, or "" for success
	}{
		{"defaults", game.CreateOptions{}, ""},
		{"slowest tick rate", game.CreateOptions{TickRate: 1}, ""},
		{"fastest tick rate", game.CreateOptions{TickRate: 128}, ""},
		{"tick rate too high", game.CreateOptions{TickRate: 129}, "tick_rate must be 1 to 128"},
		{"negative tick rate", game.CreateOptions{TickRate: -5}, "tick_rate must be 1 to 128"},
		{"one player", game.CreateOptions{MaxPlayers: 1}, ""},
		{"64 players", game.CreateOptions{MaxPlayers: 64}, ""},
		{"65 players", game.CreateOptions{MaxPlayers: 65}, "max_players must be 1 to 64"},
		{"negative players", game.CreateOptions{MaxPlayers: -1}, "max_players must be 1 to 64"},
		{"48-character name", game.CreateOptions{Name: strings.Repeat("é", 48)}, ""},
		{"49-character name", game.CreateOptions{Name: strings.Repeat("a", 49)}, "at most 48 characters"},
		{"control character", game.CreateOptions{Name: "a\x00b"}, "printable"},
		{"invisible character", game.CreateOptions{Name: "a\u200bb"}, "printable"},
		{"not UTF-8", game.CreateOptions{Name: "a\xffb"}, "UTF-8"},
		{"unknown game", game.CreateOptions{Game: "chess"}, `no game named "chess"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _, _, err := e.reg.Create(context.Background(), tc.o, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if l != nil || !wire.IsCode(err, wire.CodeInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want invalid_request with %q", err, tc.want)
			}
		})
	}
	t.Run("defaults are filled in and the name trimmed", func(t *testing.T) {
		l, _, _, err := e.reg.Create(context.Background(), game.CreateOptions{Name: "  den  "}, nil)
		if err != nil {
			t.Fatal(err)
		}
		i := info(t, l)
		if i.Name != "den" || i.TickRate != rate || i.MaxPlayers != 8 || i.Game != "tally" || i.Code != "" {
			t.Errorf("info = %+v", i)
		}
		l, _, _, _ = e.reg.Create(context.Background(), game.CreateOptions{}, nil)
		if !strings.HasPrefix(info(t, l).Name, "Lobby ") {
			t.Errorf("unnamed lobby is called %q", info(t, l).Name)
		}
	})
}

func TestPrivateLobbiesHaveACodeAndAreNotListed(t *testing.T) {
	e := newEnv(t, game.Limits{})
	priv, _ := e.create(game.CreateOptions{Name: "secret", Private: true}, gametest.NewMember("a", "alice"))
	pub, _ := e.create(game.CreateOptions{Name: "open"}, gametest.NewMember("b", "bob"))
	code := priv.Code()
	if len(code) != game.CodeLength || strings.Trim(code, "ABCDEFGHJKMNPQRSTUVWXYZ23456789") != "" {
		t.Fatalf("code %q", code)
	}
	if pub.Code() != "" {
		t.Errorf("a public lobby has code %q", pub.Code())
	}
	for _, c := range []string{code, strings.ToLower(code), " " + code + " "} {
		if l, err := e.reg.ByCode(c); err != nil || l != priv {
			t.Errorf("ByCode(%q) = %v, %v", c, l, err)
		}
	}
	_, err := e.reg.ByCode("ZZZZZZ")
	wantCode(t, err, wire.CodeNotFound)
	list := e.reg.List()
	if len(list) != 1 || list[0].ID != pub.ID() || list[0].Players != 1 || list[0].State != game.StateWaiting {
		t.Errorf("list = %+v", list)
	}
}

func TestLobbyCountsAreBounded(t *testing.T) {
	e := newEnv(t, game.Limits{MaxLobbies: 3, MaxLobbiesPerAccount: 2, EmptyTimeout: time.Second})
	ctx := context.Background()
	e.template.refuse = "nobody"
	mine := game.CreateOptions{Owner: "a"}
	alice := gametest.NewMember("a", "alice")
	l1, _ := e.create(mine, alice)
	e.create(mine, gametest.NewMember("a", "alice"))
	_, _, _, err := e.reg.Create(ctx, mine, gametest.NewMember("a", "alice"))
	wantCode(t, err, wire.CodeRefused)

	t.Run("a creation whose first join fails leaves nothing behind", func(t *testing.T) {
		_, _, _, err := e.reg.Create(ctx, game.CreateOptions{}, gametest.NewMember("nobody", "n"))
		wantCode(t, err, wire.CodeRefused)
		e.create(game.CreateOptions{}, gametest.NewMember("b", "bob")) // the third of three
		_, _, _, err = e.reg.Create(ctx, game.CreateOptions{}, gametest.NewMember("c", "carol"))
		wantCode(t, err, wire.CodeRefused)
	})
	t.Run("a closed lobby frees its places", func(t *testing.T) {
		if err := l1.Leave(ctx, alice); err != nil {
			t.Fatal(err)
		}
		e.ticks(10)
		<-l1.Done()
		e.create(mine, gametest.NewMember("a", "alice"))
	})
}

func TestALobbyIsGoneFromTheRegistryOnceDone(t *testing.T) {
	// Create's failed first join waits for Done, and then promises the lobby is forgotten;
	// repeated, because the loop's goroutine may be anywhere in its closing when Done closes.
	e := newEnv(t, game.Limits{MaxLobbies: 1})
	e.template.refuse = "nobody"
	ctx := context.Background()
	for i := range 200 {
		_, _, _, err := e.reg.Create(ctx, game.CreateOptions{}, gametest.NewMember("nobody", "n"))
		wantCode(t, err, wire.CodeRefused)
		if n := len(e.reg.All()); n != 0 {
			t.Fatalf("repetition %d: %d lobbies open after a failed Create", i, n)
		}
	}
}

func TestTheLobbyListIsBounded(t *testing.T) {
	t.Run("the first lobbies by name, no more than the limit", func(t *testing.T) {
		e := newEnv(t, game.Limits{MaxListed: 3})
		for i, name := range []string{"echo", "delta", "charlie", "bravo", "alpha"} {
			e.create(game.CreateOptions{Name: name}, gametest.NewMember(fmt.Sprint("p", i), name))
		}
		e.create(game.CreateOptions{Name: "aaa private", Private: true}, gametest.NewMember("q", "quinn"))
		var names []string
		for _, l := range e.reg.List() {
			names = append(names, l.Name)
		}
		if !slices.Equal(names, []string{"alpha", "bravo", "charlie"}) {
			t.Errorf("list = %v, want the first three public lobbies by name", names)
		}
	})
	t.Run("by default 500", func(t *testing.T) {
		e := newEnv(t, game.Limits{})
		for i := range 501 {
			e.create(game.CreateOptions{Name: fmt.Sprintf("lobby %03d", i)}, nil)
		}
		list := e.reg.List()
		if len(list) != 500 || list[0].Name != "lobby 000" || list[499].Name != "lobby 499" {
			t.Errorf("list of 501 lobbies: %d, from %q to %q", len(list), list[0].Name, list[len(list)-1].Name)
		}
	})
}

// sharedCodes is a set of codes held beyond the registry, as another node of a cluster holds
// its own: taken codes are refused.
type sharedCodes struct {
	mu       sync.Mutex
	held     map[string]string // code to lobby
	refused  int
	released []string
}

func (s *sharedCodes) Reserve(_ context.Context, code, lobby string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.held[code]; ok || s.refused == 0 {
		s.refused++ // the first draw is taken elsewhere
		return false, nil
	}
	s.held[code] = lobby
	return true, nil
}

func (s *sharedCodes) Release(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.held, code)
	s.released = append(s.released, code)
}

func TestAJoinCodeTakenElsewhereIsDrawnAgainAndReleasedAtClose(t *testing.T) {
	e := newEnv(t, game.Limits{EmptyTimeout: time.Second})
	codes := &sharedCodes{held: map[string]string{}}
	e.reg.Codes = codes
	alice := gametest.NewMember("a", "alice")
	priv, _ := e.create(game.CreateOptions{Name: "secret", Private: true}, alice)
	codes.mu.Lock()
	held, refused := codes.held[priv.Code()], codes.refused
	codes.mu.Unlock()
	if held != priv.ID() || refused != 1 {
		t.Fatalf("code %q held by %q after %d refusals, want %q after 1", priv.Code(), held, refused, priv.ID())
	}
	e.create(game.CreateOptions{Name: "open"}, gametest.NewMember("b", "bob"))
	if err := priv.Leave(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	e.ticks(10)
	<-priv.Done()
	codes.mu.Lock()
	defer codes.mu.Unlock()
	if len(codes.held) != 0 || !slices.Equal(codes.released, []string{priv.Code()}) {
		t.Fatalf("after the close: held %v, released %v; want %q released alone", codes.held, codes.released, priv.Code())
	}
}
