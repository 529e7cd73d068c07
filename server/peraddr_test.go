package server_test

import (
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// guestSocketFrom signs in a new guest from the loopback address from and opens its socket
// from there too.
func guestSocketFrom(t *testing.T, srv *servertest.Server, from string) *websocket.Conn {
	t.Helper()
	return srv.DialFrom(t, srv.Client(t, from).Guest("").AccessToken, from)
}

// ask sends a request and returns its answer: the reply frame, or the error code.
func ask(t *testing.T, ws *websocket.Conn, id uint64, typ string, payload any) (wire.Envelope, string) {
	t.Helper()
	servertest.WriteEnvelope(t, ws, typ, id, payload)
	for {
		env := servertest.ReadEnvelope(t, ws)
		if env.ID != id {
			continue
		}
		if env.T == wire.TypeError {
			var e wire.Error
			servertest.DecodePayload(t, env, &e)
			return env, e.Code
		}
		return env, ""
	}
}

// TestGuestsCannotMultiplyPerAccountLimits: limits per account that a client could dodge by
// making guests count per address too. One address holds at most --max-lobbies-per-addr open
// lobbies however many guests it makes, and a player the host kicked cannot walk back in as a
// new guest from the same address.
func TestGuestsCannotMultiplyPerAccountLimits(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.MaxLobbiesPerAddr = 3 })

	t.Run("lobbies count per address", func(t *testing.T) {
		for i := range 3 {
			if _, code := ask(t, guestSocketFrom(t, srv, "127.0.9.1"), 1, wire.TypeCreate, wire.Create{}); code != "" {
				t.Fatalf("lobby %d: %s", i+1, code)
			}
		}
		if _, code := ask(t, guestSocketFrom(t, srv, "127.0.9.1"), 1, wire.TypeCreate, wire.Create{}); code != "refused" {
			t.Fatalf("a fourth guest's lobby from the same address: %q, want refused", code)
		}
		if _, code := ask(t, guestSocketFrom(t, srv, "127.0.9.2"), 1, wire.TypeCreate, wire.Create{}); code != "" {
			t.Fatalf("a lobby from another address: %s", code)
		}
	})

	t.Run("a kick bars the address", func(t *testing.T) {
		host := guestSocketFrom(t, srv, "127.0.9.3")
		env, code := ask(t, host, 1, wire.TypeCreate, wire.Create{Name: "den"})
		if code != "" {
			t.Fatal(code)
		}
		var created wire.Joined
		servertest.DecodePayload(t, env, &created)
		pest := guestSocketFrom(t, srv, "127.0.9.4")
		env, code = ask(t, pest, 1, wire.TypeJoin, wire.Join{Lobby: created.Lobby.ID})
		if code != "" {
			t.Fatal(code)
		}
		var joined wire.Joined
		servertest.DecodePayload(t, env, &joined)
		if _, code := ask(t, host, 2, wire.TypeKick, wire.Kick{Player: joined.Player}); code != "" {
			t.Fatalf("kick: %s", code)
		}
		again := guestSocketFrom(t, srv, "127.0.9.4")
		if _, code := ask(t, again, 1, wire.TypeJoin, wire.Join{Lobby: created.Lobby.ID}); code != "forbidden" {
			t.Fatalf("a new guest from the kicked player's address: %q, want forbidden", code)
		}
		if _, code := ask(t, guestSocketFrom(t, srv, "127.0.9.5"), 1, wire.TypeJoin, wire.Join{Lobby: created.Lobby.ID}); code != "" {
			t.Fatalf("a player from another address: %s", code)
		}
	})
}
