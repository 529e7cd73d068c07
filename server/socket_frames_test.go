package server_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// expectFrame reads frames, skipping snapshots and events, until the next one, and checks its type
// and request id.
func expectFrame(t *testing.T, ws *websocket.Conn, typ string, id uint64) wire.Envelope {
	t.Helper()
	env := servertest.ReadEnvelope(t, ws)
	if env.T != typ || env.ID != id {
		var e wire.Error
		_ = wire.DecodePayload(env.D, &e)
		t.Fatalf("got %s id %d (%+v), want %s id %d", env.T, env.ID, e, typ, id)
	}
	return env
}

// expectEvent reads frames until an event of kind arrives.
func expectEvent(t *testing.T, ws *websocket.Conn, kind string) wire.Event {
	t.Helper()
	for {
		env := servertest.ReadAny(t, ws)
		if env.T != wire.TypeEvent {
			continue
		}
		var e wire.Event
		servertest.DecodePayload(t, env, &e)
		if e.Kind == kind {
			return e
		}
	}
}

// TestEveryFrameOfTheContract walks two raw clients through every request of the protocol and
// checks each answer and its echoed request id.
func TestEveryFrameOfTheContract(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	ada := srv.Guest(t, "ada")
	bob := srv.Guest(t, "bob")
	a := srv.Dial(t, ada.AccessToken)
	b := srv.Dial(t, bob.AccessToken)
	framesIn := srv.Metric(t, "tickwire_frames_in_total", "")

	t.Run("ping is answered by pong with both clocks", func(t *testing.T) {
		servertest.WriteEnvelope(t, a, wire.TypePing, 11, wire.Ping{C: 1234})
		var p wire.Pong
		servertest.DecodePayload(t, expectFrame(t, a, wire.TypePong, 11), &p)
		if now := time.Now().UnixMilli(); p.C != 1234 || p.S < now-5000 || p.S > now+5000 {
			t.Fatalf("pong = %+v", p)
		}
	})

	t.Run("input outside a lobby is an error with no id to echo", func(t *testing.T) {
		servertest.WriteEnvelope(t, a, wire.TypeInput, 0, wire.Input{Seq: 1})
		var e wire.Error
		servertest.DecodePayload(t, expectFrame(t, a, wire.TypeError, 0), &e)
		if e.Code != wire.CodeNotInLobby {
			t.Fatalf("error = %+v", e)
		}
	})

	var lobby wire.LobbyInfo
	t.Run("create answers joined, as host", func(t *testing.T) {
		servertest.WriteEnvelope(t, a, wire.TypeCreate, 12, wire.Create{Name: "den", Private: true, MaxPlayers: 3})
		var j wire.Joined
		servertest.DecodePayload(t, expectFrame(t, a, wire.TypeJoined, 12), &j)
		lobby = j.Lobby
		if j.Lobby.Name != "den" || j.Lobby.Code == "" || j.Lobby.MaxPlayers != 3 || len(j.Lobby.Players) != 1 || !j.Lobby.Players[0].Host || j.Player != j.Lobby.Players[0].ID {
			t.Fatalf("joined = %+v", j)
		}
	})

	t.Run("create while in a lobby is an error", func(t *testing.T) {
		servertest.WriteEnvelope(t, a, wire.TypeCreate, 13, wire.Create{})
		var e wire.Error
		servertest.DecodePayload(t, expectFrame(t, a, wire.TypeError, 13), &e)
		if e.Code != wire.CodeAlreadyInLobby {
			t.Fatalf("error = %+v", e)
		}
	})

	t.Run("join by code answers joined; the others hear player_joined", func(t *testing.T) {
		servertest.WriteEnvelope(t, b, wire.TypeJoin, 21, wire.Join{Code: lobby.Code})
		var j wire.Joined
		servertest.DecodePayload(t, expectFrame(t, b, wire.TypeJoined, 21), &j)
		if j.Lobby.ID != lobby.ID || len(j.Lobby.Players) != 2 {
			t.Fatalf("joined = %+v", j)
		}
		if e := expectEvent(t, a, wire.EventPlayerJoined); e.Player == nil || e.Player.Name != j.Lobby.Players[1].Name {
			t.Fatalf("player_joined = %+v", e)
		}
	})

	t.Run("inputs come back as acks in snapshots", func(t *testing.T) {
		for seq := uint32(1); seq <= 5; seq++ {
			servertest.WriteEnvelope(t, a, wire.TypeInput, 0, clientarena.Input{Seq: seq, DX: 1, DY: -0.5})
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			env := servertest.ReadAny(t, a)
			if env.T != wire.TypeSnapshot {
				continue
			}
			var s struct {
				Tick uint64 `msgpack:"tick"`
				Ack  uint32 `msgpack:"ack"`
			}
			servertest.DecodePayload(t, env, &s)
			if s.Ack == 5 {
				return
			}
		}
		t.Fatal("no snapshot acked seq 5")
	})

	t.Run("leave answers left", func(t *testing.T) {
		servertest.WriteEnvelope(t, b, wire.TypeLeave, 22, struct{}{})
		var l wire.Left
		servertest.DecodePayload(t, expectFrame(t, b, wire.TypeLeft, 22), &l)
		if l.Lobby != lobby.ID {
			t.Fatalf("left = %+v", l)
		}
		expectEvent(t, a, wire.EventPlayerLeft)
	})

	t.Run("join by id answers joined", func(t *testing.T) {
		// A private lobby's id admits only its host and its seated players: b left den.
		servertest.WriteEnvelope(t, b, wire.TypeJoin, 26, wire.Join{Lobby: lobby.ID})
		var e wire.Error
		servertest.DecodePayload(t, expectFrame(t, b, wire.TypeError, 26), &e)
		if e.Code != wire.CodeNotFound {
			t.Fatalf("join of a private lobby by id = %+v, want not_found", e)
		}
		c := srv.Dial(t, srv.Guest(t, "cy").AccessToken)
		servertest.WriteEnvelope(t, c, wire.TypeCreate, 1, wire.Create{Name: "hall"})
		var open wire.Joined
		servertest.DecodePayload(t, expectFrame(t, c, wire.TypeJoined, 1), &open)
		servertest.WriteEnvelope(t, b, wire.TypeJoin, 23, wire.Join{Lobby: open.Lobby.ID})
		expectFrame(t, b, wire.TypeJoined, 23)
		servertest.WriteEnvelope(t, b, wire.TypeLeave, 24, nil)
		expectFrame(t, b, wire.TypeLeft, 24)
	})

	t.Run("quick join answers joined", func(t *testing.T) {
		servertest.WriteEnvelope(t, b, wire.TypeJoin, 25, wire.Join{Quick: true})
		var j wire.Joined
		servertest.DecodePayload(t, expectFrame(t, b, wire.TypeJoined, 25), &j)
		if j.Lobby.ID == "" || j.Lobby.ID == lobby.ID {
			t.Fatalf("quick join put bob in %q (the private lobby is %q)", j.Lobby.ID, lobby.ID)
		}
	})

	t.Run("reauth answers reauth_ok with the new exp", func(t *testing.T) {
		fresh, err := goclient.New(srv.URL()).Refresh(t.Context(), ada.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		servertest.WriteEnvelope(t, a, wire.TypeReauth, 31, wire.Reauth{Token: fresh.AccessToken})
		var ok wire.ReauthOK
		servertest.DecodePayload(t, expectFrame(t, a, wire.TypeReauthOK, 31), &ok)
		if ok.Exp != servertest.Claims(t, fresh.AccessToken).ExpiresAt.Unix() {
			t.Fatalf("reauth_ok = %+v", ok)
		}
	})

	t.Run("errors echo the request id", func(t *testing.T) {
		a := srv.Dial(t, ada.AccessToken) // a second socket of ada's, in no lobby
		for _, c := range []struct {
			typ     string
			payload any
			code    string
		}{
			{"dance", nil, wire.CodeUnknownType},
			{wire.TypeJoin, map[string]any{"lobby": []int{1, 2}}, wire.CodeInvalidRequest},
			{wire.TypeJoin, wire.Join{Lobby: "no-such-lobby"}, wire.CodeNotFound},
			{wire.TypeJoin, wire.Join{}, wire.CodeInvalidRequest},
			{wire.TypeReauth, wire.Reauth{Token: "garbage"}, wire.CodeInvalidToken},
			{wire.TypeReauth, wire.Reauth{Token: bob.AccessToken}, wire.CodeWrongAccount},
			{wire.TypeInput, map[string]any{"seq": -1}, wire.CodeInvalidRequest},
		} {
			servertest.WriteEnvelope(t, a, c.typ, 41, c.payload)
			var e wire.Error
			servertest.DecodePayload(t, expectFrame(t, a, wire.TypeError, 41), &e)
			if e.Code != c.code || e.Message == "" {
				t.Fatalf("%s: error = %+v, want %s", c.typ, e, c.code)
			}
		}
	})

	if after := srv.Metric(t, "tickwire_frames_in_total", ""); after <= framesIn {
		t.Fatalf("frames_in_total did not move: %v -> %v", framesIn, after)
	}
	for _, m := range []string{"tickwire_frames_out_total", "tickwire_bytes_in_total", "tickwire_bytes_out_total"} {
		if v := srv.Metric(t, m, ""); v == 0 {
			t.Errorf("%s = 0", m)
		}
	}
	if v := srv.Metric(t, "tickwire_reauths_total", `result="ok"`); v != 1 {
		t.Errorf("reauths{ok} = %v", v)
	}
	if v := srv.Metric(t, "tickwire_reauths_total", `result="refused"`); v != 2 {
		t.Errorf("reauths{refused} = %v", v)
	}
}
