package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// budgetServer is a server whose lobby budgets do not refill while a test runs, and whose
// message rate lets a guesser send as fast as it can: only the budget under test stops it.
func budgetServer(t *testing.T, mutate func(*server.Config)) *servertest.Server {
	return servertest.Start(t, func(c *server.Config) {
		c.MsgBurst, c.MsgRate = 1<<16, 1<<16
		c.CodeFailEvery, c.LobbyAddrEvery = time.Hour, time.Hour
		if mutate != nil {
			mutate(c)
		}
	}, servertest.Metrics)
}

// guessCodes sends n wrong join codes on ws, one after another, and counts the answers:
// not_found (looked up) and rate_limited (refused before the lookup). Any other answer fails.
func guessCodes(t *testing.T, ws *websocket.Conn, n, from int, salt string) (looked, limited int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		// Wrong codes in the code alphabet, of the new length and the old: every one a real guess.
		code := strings.Repeat("Z", game.CodeLength-2) + salt + string("ABCDEFGHJK"[i%10]) + string("2345678923"[i/10%10])
		if i%3 == 0 {
			code = code[:6]
		}
		e := joinErr(t, ws, uint64(i+1), wire.Join{Code: code})
		switch e.Code {
		case wire.CodeNotFound:
			looked++
		case wire.CodeRateLimited:
			if e.RetryAfter < 1 {
				t.Fatalf("rate_limited without retry_after: %+v", e)
			}
			limited++
		default:
			t.Fatalf("wrong code %q answered %+v", code, e)
		}
	}
	return looked, limited
}

// stillOpen checks that ws answers a ping: a budget refuses a request, not the socket.
func stillOpen(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	servertest.WriteEnvelope(t, ws, wire.TypePing, 9999, wire.Ping{C: 1})
	expectFrame(t, ws, wire.TypePong, 9999)
}

// TestGuessingJoinCodesIsCutOffAtTheBudget: a guesser trying hundreds of join codes, on one
// socket or spread over sockets and accounts of one address, gets --code-fail-burst lookups
// in all and rate_limited after, its sockets staying open; the lobby's right code still lets
// someone from elsewhere in, and is refused to the guesser too once cut off.
func TestGuessingJoinCodesIsCutOffAtTheBudget(t *testing.T) {
	const burst = 20
	t.Run("one socket", func(t *testing.T) {
		srv := budgetServer(t, func(c *server.Config) { c.CodeFailBurst = burst })
		host := srv.DialFrom(t, srv.Guest(t, "host").AccessToken, "127.0.0.3")
		servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "secret room", Private: true})
		var den wire.Joined
		servertest.DecodePayload(t, expectFrame(t, host, wire.TypeJoined, 1), &den)
		if len(den.Lobby.Code) != game.CodeLength {
			t.Fatalf("join code %q, want %d characters", den.Lobby.Code, game.CodeLength)
		}

		guesser := srv.DialFrom(t, srv.Guest(t, "guesser").AccessToken, "127.0.0.2")
		looked, limited := guessCodes(t, guesser, 300, 0, "A")
		if looked != burst || limited != 300-burst {
			t.Fatalf("300 wrong codes: %d looked up, %d rate_limited; want %d and %d", looked, limited, burst, 300-burst)
		}
		stillOpen(t, guesser)
		// Cut off, the guesser learns nothing even from the right code.
		if e := joinErr(t, guesser, 400, wire.Join{Code: den.Lobby.Code}); e.Code != wire.CodeRateLimited {
			t.Fatalf("the right code from a guesser over budget: %+v, want rate_limited", e)
		}
		friend := srv.DialFrom(t, srv.Guest(t, "friend").AccessToken, "127.0.0.4")
		servertest.WriteEnvelope(t, friend, wire.TypeJoin, 1, wire.Join{Code: den.Lobby.Code})
		expectFrame(t, friend, wire.TypeJoined, 1)
	})

	t.Run("many sockets and accounts of one address", func(t *testing.T) {
		srv := budgetServer(t, func(c *server.Config) { c.CodeFailBurst = burst })
		host := srv.DialFrom(t, srv.Guest(t, "host").AccessToken, "127.0.0.3")
		servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "secret room", Private: true})
		var den wire.Joined
		servertest.DecodePayload(t, expectFrame(t, host, wire.TypeJoined, 1), &den)

		var socks []*websocket.Conn
		for range 6 {
			// A fresh guest account for each socket: the address's budget is what holds.
			socks = append(socks, srv.DialFrom(t, srv.Guest(t, "guesser").AccessToken, "127.0.0.2"))
		}
		looked, limited := 0, 0
		for round := range 100 {
			for i, ws := range socks {
				l, r := guessCodes(t, ws, 1, round, string("BCDEFG"[i]))
				looked, limited = looked+l, limited+r
			}
		}
		if looked != burst || limited != 600-burst {
			t.Fatalf("600 wrong codes over 6 sockets of one address: %d looked up, %d rate_limited; want %d and %d",
				looked, limited, burst, 600-burst)
		}
		for _, ws := range socks {
			stillOpen(t, ws)
		}
		friend := srv.DialFrom(t, srv.Guest(t, "friend").AccessToken, "127.0.0.4")
		servertest.WriteEnvelope(t, friend, wire.TypeJoin, 1, wire.Join{Code: strings.ToLower(den.Lobby.Code)})
		expectFrame(t, friend, wire.TypeJoined, 1)
	})

	t.Run("right codes cost nothing", func(t *testing.T) {
		srv := budgetServer(t, func(c *server.Config) { c.CodeFailBurst = 2 })
		host := srv.DialFrom(t, srv.Guest(t, "host").AccessToken, "127.0.0.3")
		servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "den", Private: true})
		var den wire.Joined
		servertest.DecodePayload(t, expectFrame(t, host, wire.TypeJoined, 1), &den)
		player := srv.DialFrom(t, srv.Guest(t, "player").AccessToken, "127.0.0.2")
		for i := range 10 {
			id := uint64(10 + 2*i)
			servertest.WriteEnvelope(t, player, wire.TypeJoin, id, wire.Join{Code: den.Lobby.Code})
			expectFrame(t, player, wire.TypeJoined, id)
			servertest.WriteEnvelope(t, player, wire.TypeLeave, id+1, nil)
			expectFrame(t, player, wire.TypeLeft, id+1)
		}
		if looked, limited := guessCodes(t, player, 5, 0, "H"); looked != 2 || limited != 3 {
			t.Fatalf("after 10 right codes, 5 wrong ones: %d looked up, %d limited; want the whole budget of 2", looked, limited)
		}
	})
}

// TestLobbyCreationHasAPerAddressBudget: one address creates --lobby-addr-burst lobbies, over
// all of its accounts, and then gets rate_limited on sockets that stay open; a create that
// made no lobby is not charged, and another address still creates.
func TestLobbyCreationHasAPerAddressBudget(t *testing.T) {
	const burst = 5
	srv := budgetServer(t, func(c *server.Config) { c.LobbyAddrBurst, c.MaxLobbiesPerAccount = burst, 100 })

	// Refused creates (a bad option) cost nothing.
	first := srv.DialFrom(t, srv.Guest(t, "maker").AccessToken, "127.0.0.2")
	for i := range 3 * burst {
		servertest.WriteEnvelope(t, first, wire.TypeCreate, uint64(100+i), wire.Create{MaxPlayers: 1000})
		var e wire.Error
		servertest.DecodePayload(t, expectFrame(t, first, wire.TypeError, uint64(100+i)), &e)
		if e.Code != wire.CodeInvalidRequest {
			t.Fatalf("create with a bad option: %+v", e)
		}
	}

	second := srv.DialFrom(t, srv.Guest(t, "maker").AccessToken, "127.0.0.2")
	made, limited := 0, 0
	for i := range 3 * burst {
		ws := []*websocket.Conn{first, second}[i%2]
		id := uint64(10 + 2*i)
		servertest.WriteEnvelope(t, ws, wire.TypeCreate, id, wire.Create{Name: "flood"})
		env := servertest.ReadEnvelope(t, ws)
		switch env.T {
		case wire.TypeJoined:
			made++
			servertest.WriteEnvelope(t, ws, wire.TypeLeave, id+1, nil)
			expectFrame(t, ws, wire.TypeLeft, id+1)
		case wire.TypeError:
			var e wire.Error
			servertest.DecodePayload(t, env, &e)
			if e.Code != wire.CodeRateLimited || e.RetryAfter < 1 {
				t.Fatalf("create %d answered %+v", i, e)
			}
			limited++
			stillOpen(t, ws)
		default:
			t.Fatalf("create answered %s", env.T)
		}
	}
	if made != burst || limited != 2*burst {
		t.Fatalf("%d creates from one address: %d lobbies, %d rate_limited; want %d and %d", 3*burst, made, limited, burst, 2*burst)
	}
	other := srv.DialFrom(t, srv.Guest(t, "neighbour").AccessToken, "127.0.0.3")
	servertest.WriteEnvelope(t, other, wire.TypeCreate, 1, wire.Create{Name: "elsewhere"})
	expectFrame(t, other, wire.TypeJoined, 1)
}

// TestLobbyBudgetsAreSettings: the lobby-creation and join-code budgets have defaults, flags and
// environment variables, and a bad value is refused naming its flag.
func TestLobbyBudgetsAreSettings(t *testing.T) {
	d := server.DefaultConfig()
	if d.LobbyAddrBurst != 20 || d.LobbyAddrEvery != 6*time.Second || d.CodeFailBurst != 20 || d.CodeFailEvery != 30*time.Second {
		t.Errorf("defaults: lobbies %d per %s, wrong codes %d per %s", d.LobbyAddrBurst, d.LobbyAddrEvery, d.CodeFailBurst, d.CodeFailEvery)
	}
	env := map[string]string{"TICKWIRE_CODE_FAIL_BURST": "7", "TICKWIRE_LOBBY_ADDR_EVERY": "1m"}
	c, _, err := server.ParseConfig("serve", []string{"--lobby-addr-burst", "3", "--code-fail-every", "2m"},
		func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.LobbyAddrBurst != 3 || c.LobbyAddrEvery != time.Minute || c.CodeFailBurst != 7 || c.CodeFailEvery != 2*time.Minute {
		t.Errorf("parsed: lobbies %d per %s, wrong codes %d per %s", c.LobbyAddrBurst, c.LobbyAddrEvery, c.CodeFailBurst, c.CodeFailEvery)
	}
	for _, bad := range [][]string{
		{"--lobby-addr-burst", "0"}, {"--lobby-addr-every", "0s"}, {"--code-fail-burst", "-1"}, {"--code-fail-every", "soon"},
	} {
		_, _, err := server.ParseConfig("serve", bad, func(string) string { return "" }, nil)
		if err == nil || !strings.Contains(err.Error(), bad[0]) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line naming the flag", bad, err)
		}
	}
}

// TestTheGoClientSeesRateLimited: the SDK reports a budget's refusal as ErrRateLimited with the
// wait the server asked for, and its connection goes on working.
func TestTheGoClientSeesRateLimited(t *testing.T) {
	srv := budgetServer(t, func(c *server.Config) { c.CodeFailBurst = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := goclient.Dial(ctx, srv.WSURL(), srv.Guest(t, "sdk").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Join(ctx, wire.Join{Code: "ZZZZZZZZZZ"}); !errors.Is(err, goclient.ErrNotFound) {
		t.Fatalf("first wrong code: %v, want not_found", err)
	}
	_, err = c.Join(ctx, wire.Join{Code: "ZZZZZZZZZY"})
	var se *goclient.ServerError
	if !errors.Is(err, goclient.ErrRateLimited) || !errors.As(err, &se) || se.RetryAfter < time.Minute {
		t.Fatalf("second wrong code: %#v, want rate_limited with a wait of about --code-fail-every", err)
	}
	if _, err := c.Join(ctx, wire.Join{Quick: true}); err != nil {
		t.Fatalf("a quick join after the refusal: %v", err)
	}
}
