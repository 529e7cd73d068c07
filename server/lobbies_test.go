package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// lobPlayer registers name, logs in and opens a socket; it returns the socket and the token.
func lobPlayer(t *testing.T, srv *servertest.Server, name string) (*goclient.Conn, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(srv.URL())
	if _, err := api.Register(ctx, name, "correct horse"); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	tok, err := api.Login(ctx, name, "correct horse")
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	c, err := goclient.Dial(ctx, goclient.WebSocketURL(srv.URL()), tok.AccessToken)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, tok.AccessToken
}

// lobGet fetches path with token (when set) and decodes the JSON answer into out.
func lobGet(t *testing.T, srv *servertest.Server, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %d %q: %v", path, resp.StatusCode, body, err)
	}
	return resp.StatusCode
}

func wantServerError(t *testing.T, err error, code, text string) {
	t.Helper()
	var se *goclient.ServerError
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Message, text) {
		t.Errorf("err = %v, want %s with %q", err, code, text)
	}
}

func TestLobbyListIsTheContractsShape(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann, tok := lobPlayer(t, srv, "ann")
	bob, _ := lobPlayer(t, srv, "bob")
	pub, err := ann.Create(ctx, wire.Create{Name: "den", MaxPlayers: 4, TickRate: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Create(ctx, wire.Create{Name: "hideout", Private: true}); err != nil {
		t.Fatal(err)
	}

	var body map[string][]map[string]any
	if st := lobGet(t, srv, "/api/v1/lobbies", tok, &body); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	if len(body) != 1 || len(body["lobbies"]) != 1 {
		t.Fatalf("body = %v, want the one public lobby", body)
	}
	want := map[string]any{"id": pub.Lobby.ID, "name": "den", "game": "arena", "players": 1.0, "max_players": 4.0, "state": "waiting", "tick_rate": 30.0}
	got := body["lobbies"][0]
	if len(got) != len(want) {
		t.Errorf("keys = %v, want exactly %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	var e map[string]string
	if st := lobGet(t, srv, "/api/v1/lobbies", "", &e); st != http.StatusUnauthorized || e["error"] != "invalid_token" {
		t.Errorf("without a token: %d %v", st, e)
	}
}

func TestLobbyCreationBoundsOverTheSocket(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann, _ := lobPlayer(t, srv, "ann")
	for _, tc := range []struct {
		req  wire.Create
		want string
	}{
		{wire.Create{TickRate: 129}, "tick_rate must be 1 to 128"},
		{wire.Create{TickRate: -1}, "tick_rate must be 1 to 128"},
		{wire.Create{MaxPlayers: 65}, "max_players must be 1 to 64"},
		{wire.Create{Name: strings.Repeat("n", 49)}, "at most 48 characters"},
		{wire.Create{Name: "bell\a"}, "printable"},
		{wire.Create{Game: "chess"}, `no game named "chess"`},
	} {
		_, err := ann.Create(ctx, tc.req)
		wantServerError(t, err, "invalid_request", tc.want)
	}
	j, err := ann.Create(ctx, wire.Create{Name: "  fine  ", TickRate: 128, MaxPlayers: 64})
	if err != nil {
		t.Fatal(err)
	}
	if l := j.Lobby; l.Name != "fine" || l.TickRate != 128 || l.MaxPlayers != 64 || l.Code != "" || len(l.Players) != 1 || !l.Players[0].Host {
		t.Errorf("joined = %+v", j)
	}
	_, err = ann.Create(ctx, wire.Create{})
	wantServerError(t, err, "already_in_lobby", "leave")
}

func TestPrivateLobbyHostAndKickOverTheSocket(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann, _ := lobPlayer(t, srv, "ann")
	bob, _ := lobPlayer(t, srv, "bob")
	cat, _ := lobPlayer(t, srv, "cat")

	created, err := ann.Create(ctx, wire.Create{Name: "hideout", Private: true, MaxPlayers: 2})
	if err != nil {
		t.Fatal(err)
	}
	code := created.Lobby.Code
	if len(code) != game.CodeLength {
		t.Fatalf("code %q", code)
	}
	_, err = bob.Join(ctx, wire.Join{Code: code, Quick: true})
	wantServerError(t, err, "invalid_request", "exactly one")
	jb, err := bob.Join(ctx, wire.Join{Code: strings.ToLower(code)})
	if err != nil || jb.Lobby.ID != created.Lobby.ID {
		t.Fatalf("join by code: %+v, %v", jb, err)
	}
	_, err = cat.Join(ctx, wire.Join{Code: code})
	wantServerError(t, err, "lobby_full", "full")
	if _, err := cat.Join(ctx, wire.Join{Code: code, Spectate: true}); err != nil {
		t.Fatalf("spectate: %v", err)
	}

	err = bob.Request(ctx, wire.TypeStart, nil, nil)
	wantServerError(t, err, "forbidden", "host")
	err = ann.Request(ctx, wire.TypeKick, wire.Kick{Player: jb.Player}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for kicked := false; !kicked; {
		select {
		case e := <-bob.Events():
			kicked = e.Kind == wire.EventKicked
		case <-ctx.Done():
			t.Fatal("bob was not told he was kicked")
		}
	}
	_, err = bob.Join(ctx, wire.Join{Code: code})
	wantServerError(t, err, "forbidden", "removed you")
	// Kicked, bob is in no lobby: he may go elsewhere.
	if _, err := bob.Join(ctx, wire.Join{Quick: true}); err != nil {
		t.Errorf("bob's quick join after the kick: %v", err)
	}
	if err := ann.Request(ctx, wire.TypeStart, nil, nil); err != nil {
		t.Errorf("the host's start: %v", err)
	}
}

// TestFinishedRoundsReachTheLeaderboard plays one short quick-join round between two players
// and reads its result back over HTTP.
func TestFinishedRoundsReachTheLeaderboard(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.RoundLength = time.Second
		c.RoundPause = time.Minute
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := []string{"ann", "bob"}
	conns := make([]*goclient.Conn, 2)
	tokens := make([]string, 2)
	for i, name := range names {
		conns[i], tokens[i] = lobPlayer(t, srv, name)
		if _, err := conns[i].Join(ctx, wire.Join{Quick: true}); err != nil {
			t.Fatal(err)
		}
	}
	// Both steer, so that someone may happen on a coin.
	for i, c := range conns {
		_ = clientarena.SendInput(c, clientarena.Input{Seq: 1, DX: float32(1 - 2*i), DY: 0.7})
	}
	scores := map[string]int{}
	for over := false; !over; {
		select {
		case e := <-conns[0].Events():
			if e.Kind == wire.EventRoundOver {
				over = true
				for _, s := range e.Scores {
					scores[s.Name] = s.Score
				}
			}
		case <-ctx.Done():
			t.Fatal("no round_over within 30 s")
		}
	}
	if len(scores) != 2 {
		t.Fatalf("round_over scores = %v", scores)
	}

	var board struct {
		Leaders []struct {
			Username             string
			Total, Matches, Best int
			Wins                 int
		} `json:"leaders"`
	}
	for deadline := time.Now().Add(10 * time.Second); len(board.Leaders) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the round never reached the leaderboard: %+v", board)
		}
		if st := lobGet(t, srv, "/api/v1/leaderboard", "", &board); st != http.StatusOK {
			t.Fatalf("leaderboard: %d", st)
		}
	}
	for _, l := range board.Leaders {
		if l.Total != scores[l.Username] || l.Best != scores[l.Username] || l.Matches != 1 {
			t.Errorf("leader %+v, want total %d over 1 match", l, scores[l.Username])
		}
	}
	for i, name := range names {
		var mine struct {
			Matches []struct {
				Lobby, Game           string
				Score, Place, Players int
				DurationMS            int64     `json:"duration_ms"`
				StartedAt             time.Time `json:"started_at"`
				EndedAt               time.Time `json:"ended_at"`
			} `json:"matches"`
		}
		if st := lobGet(t, srv, "/api/v1/me/matches", tokens[i], &mine); st != http.StatusOK || len(mine.Matches) != 1 {
			t.Fatalf("%s's matches: %d %+v", name, st, mine)
		}
		m := mine.Matches[0]
		if m.Game != "arena" || m.Score != scores[name] || m.Players != 2 || m.Place < 1 || m.Place > 2 {
			t.Errorf("%s's match = %+v, want score %d of 2 players", name, m, scores[name])
		}
		if m.DurationMS < 900 || m.DurationMS > 5000 || !m.EndedAt.After(m.StartedAt) {
			t.Errorf("%s's match lasted %d ms, want about 1000", name, m.DurationMS)
		}
	}
	var e map[string]string
	if st := lobGet(t, srv, "/api/v1/me/matches?limit=0", tokens[0], &e); st != http.StatusBadRequest || e["error"] != "invalid_request" {
		t.Errorf("limit=0: %d %v", st, e)
	}
}

func TestLobbySettingsAreFlags(t *testing.T) {
	env := func(map[string]string) func(string) string { return func(string) string { return "" } }
	c, _, err := server.ParseConfig("serve", nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RoundLength != time.Minute || c.RoundPause != 5*time.Second || c.LobbyIdleTimeout != time.Minute || c.MaxLobbies != 10000 ||
		c.MaxLobbiesPerAccount != 4 || c.MaxSpectators != 16 || c.InputQueue != 8 || c.QuickStartPlayers != 2 || c.TickCatchUp != 3 ||
		c.InputBytes != 2048 || c.MaxSnapshotRate != 128 {
		t.Errorf("defaults = %+v", c)
	}
	c, _, err = server.ParseConfig("serve", []string{"--round-length", "90s", "--input-queue", "16", "--max-snapshot-rate", "30"}, func(k string) string {
		return map[string]string{"TICKWIRE_ROUND_LENGTH": "2m", "TICKWIRE_MAX_SPECTATORS": "3", "TICKWIRE_INPUT_BYTES": "512"}[k]
	}, io.Discard)
	if err != nil || c.RoundLength != 90*time.Second || c.InputQueue != 16 || c.MaxSpectators != 3 || c.InputBytes != 512 || c.MaxSnapshotRate != 30 {
		t.Errorf("flags and environment: %+v, %v", c, err)
	}
	for _, bad := range [][]string{
		{"--round-length", "0s"}, {"--round-length", "soon"}, {"--round-pause", "1ms"}, {"--lobby-idle-timeout", "0s"},
		{"--max-lobbies", "0"}, {"--max-lobbies-per-account", "0"}, {"--max-spectators", "-1"}, {"--input-queue", "0"},
		{"--quick-start-players", "65"}, {"--tick-catch-up", "0"}, {"--input-bytes", "63"}, {"--max-snapshot-rate", "0"},
		{"--max-snapshot-rate", "129"},
	} {
		_, _, err := server.ParseConfig("serve", bad, env(nil), io.Discard)
		var fe *server.FlagError
		if !errors.As(err, &fe) || !strings.Contains(fe.Error(), bad[0][2:]) || strings.Contains(fe.Error(), "\n") {
			t.Errorf("%v: err = %v, want one line naming %s", bad, err, bad[0])
		}
	}
}
