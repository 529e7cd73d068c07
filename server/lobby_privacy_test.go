package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// joinErr sends join req on ws and returns the error it is answered with.
func joinErr(t *testing.T, ws *websocket.Conn, id uint64, req wire.Join) wire.Error {
	t.Helper()
	servertest.WriteEnvelope(t, ws, wire.TypeJoin, id, req)
	var e wire.Error
	servertest.DecodePayload(t, expectFrame(t, ws, wire.TypeError, id), &e)
	return e
}

// TestAPrivateLobbyIsEnteredByItsCodeOnly: a stranger who knows a private lobby's id (ids are
// not secret: they travel in URLs, logs and events) gets the answer an unknown id gets, to play
// or to watch; the code lets anyone in, and the host and seated players may come back by id.
func TestAPrivateLobbyIsEnteredByItsCodeOnly(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	hostTok := srv.Guest(t, "host")
	host := srv.Dial(t, hostTok.AccessToken)
	servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "secret room", Private: true})
	var den wire.Joined
	servertest.DecodePayload(t, expectFrame(t, host, wire.TypeJoined, 1), &den)

	stranger := srv.Dial(t, srv.Guest(t, "stranger").AccessToken)
	unknown := joinErr(t, stranger, 2, wire.Join{Lobby: "lnosuchlobby"})
	for _, spectate := range []bool{false, true} {
		got := joinErr(t, stranger, 3, wire.Join{Lobby: den.Lobby.ID, Spectate: spectate})
		if got != unknown || got.Code != wire.CodeNotFound {
			t.Fatalf("stranger joining by id (spectate %v) = %+v; an unknown id gets %+v", spectate, got, unknown)
		}
	}

	friendTok := srv.Guest(t, "friend")
	friend := srv.Dial(t, friendTok.AccessToken)
	servertest.WriteEnvelope(t, friend, wire.TypeJoin, 4, wire.Join{Code: strings.ToLower(den.Lobby.Code)})
	var in wire.Joined
	servertest.DecodePayload(t, expectFrame(t, friend, wire.TypeJoined, 4), &in)
	if in.Lobby.ID != den.Lobby.ID {
		t.Fatalf("join by code put friend in %q, not %q", in.Lobby.ID, den.Lobby.ID)
	}
	// The friend's connection drops; within the seat's grace a new socket takes it back by id.
	friend.Close()
	again := srv.Dial(t, friendTok.AccessToken)
	servertest.WriteEnvelope(t, again, wire.TypeJoin, 5, wire.Join{Lobby: den.Lobby.ID})
	expectFrame(t, again, wire.TypeJoined, 5)

	// The host leaves the seat and may still come back by id: the lobby is theirs.
	servertest.WriteEnvelope(t, host, wire.TypeLeave, 6, nil)
	expectFrame(t, host, wire.TypeLeft, 6)
	servertest.WriteEnvelope(t, host, wire.TypeJoin, 7, wire.Join{Lobby: den.Lobby.ID})
	expectFrame(t, host, wire.TypeJoined, 7)

	// Someone who left, rather than dropped, is a stranger again.
	servertest.WriteEnvelope(t, again, wire.TypeLeave, 8, nil)
	expectFrame(t, again, wire.TypeLeft, 8)
	if got := joinErr(t, again, 9, wire.Join{Lobby: den.Lobby.ID}); got != unknown {
		t.Fatalf("joining by id after leaving = %+v, want %+v", got, unknown)
	}
}

// TestNothingPublicNamesAPrivateLobby: the lobby list and the metrics a default server serves
// without a token say nothing of a private lobby, its players or its code.
func TestNothingPublicNamesAPrivateLobby(t *testing.T) {
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	setup := func(srv *servertest.Server) (secrets []string) {
		t.Helper()
		tok := srv.Guest(t, "whisperer")
		host := srv.Dial(t, tok.AccessToken)
		servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "secret room", Private: true})
		var den wire.Joined
		servertest.DecodePayload(t, expectFrame(t, host, wire.TypeJoined, 1), &den)
		// A tick or more, so that per-lobby series would have something to show.
		for servertest.ReadAny(t, host).T != wire.TypeSnapshot {
		}
		return []string{den.Lobby.ID, den.Lobby.Code, "secret room", "whisperer", servertest.Claims(t, tok.AccessToken).Subject}
	}
	noSecrets := func(where, body string, secrets []string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s names %q", where, s)
			}
		}
	}

	t.Run("by default /metrics is not served", func(t *testing.T) {
		srv := servertest.Start(t, func(c *server.Config) { c.MetricsAddr = "" }, servertest.Metrics)
		secrets := setup(srv)
		if st, body := get(srv.URL() + "/metrics"); st != http.StatusNotFound {
			t.Fatalf("/metrics on the main address: %d %.200s", st, body)
		}
		_, list := get(srv.URL() + "/api/v1/lobbies")
		noSecrets("the lobby list", list, secrets)
	})
	t.Run("on --metrics-addr, no label names a lobby or an account", func(t *testing.T) {
		srv := servertest.Start(t, nil, servertest.Metrics)
		secrets := setup(srv)
		if st, _ := get(srv.URL() + "/metrics"); st != http.StatusNotFound {
			t.Fatalf("/metrics on the main address beside --metrics-addr: %d", st)
		}
		st, body := get(srv.MetricsURL() + "/metrics")
		if st != http.StatusOK || !strings.Contains(body, "tickwire_lobby_ticks_total ") || !strings.Contains(body, "tickwire_lobby_tick_seconds_bucket") {
			t.Fatalf("metrics listener: %d, without the lobby totals:\n%.2000s", st, body)
		}
		noSecrets("/metrics", body, secrets)
		if strings.Contains(body, `lobby="`) {
			t.Error("/metrics has a lobby label")
		}
	})
	t.Run("--public-metrics serves them on the main address", func(t *testing.T) {
		srv := servertest.Start(t, func(c *server.Config) { c.MetricsAddr, c.PublicMetrics = "", true }, servertest.Metrics)
		secrets := setup(srv)
		st, body := get(srv.URL() + "/metrics")
		if st != http.StatusOK || !strings.Contains(body, "tickwire_lobbies_open 1") {
			t.Fatalf("/metrics with --public-metrics: %d %.300s", st, body)
		}
		noSecrets("/metrics", body, secrets)
	})
}
