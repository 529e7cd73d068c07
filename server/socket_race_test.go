package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// Upgrades raced against one session end: each round signs in a fresh guest, opens
// raceDials dialers opening sockets with its access token over and over, and ends the
// session while they are on their way. Enough rounds that the few microseconds between an upgrade's revocation check
// and its admission are hit many times over.
const (
	raceRounds  = 30
	raceDials   = 16
	raceRedials = 16
)

// raceServer is a server whose per-account socket limit leaves room for every racing dial.
func raceServer(t *testing.T, mutate func(*server.Config)) *servertest.Server {
	t.Helper()
	return servertest.Start(t, func(c *server.Config) {
		c.MaxConnsPerAcct = raceDials * raceRedials
		if mutate != nil {
			mutate(c)
		}
	}, servertest.Metrics)
}

// raceGuest signs in a guest from loopback address 127.0.<n/250>.<n%250+2>, so that rounds do not
// share one address's sign-up budget.
func raceGuest(t *testing.T, srv *servertest.Server, n int) goclient.Tokens {
	t.Helper()
	h := servertest.NewClient(t, srv.URL(), fmt.Sprintf("127.0.%d.%d", 1+n/250, 2+n%250))
	r := h.Do("POST", "/api/v1/auth/guest", "", map[string]string{"name": "racer"})
	if r.Status != http.StatusOK {
		t.Fatalf("guest: %d %s", r.Status, r.Body)
	}
	var p servertest.Tokens
	r.Decode(t, &p)
	return goclient.Tokens{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken}
}

// raceUpgrades runs the rounds: end is called, once per round, while that round's dials are
// being upgraded, and must not return before the session has ended. After it and every dial
// have returned, each socket that was let in must be closing with 4003: it is sent a ping,
// and a pong back means it is still being served.
func raceUpgrades(t *testing.T, srv *servertest.Server, prepare func(tok goclient.Tokens) goclient.Tokens, end func(tok goclient.Tokens)) {
	t.Helper()
	left, admitted := 0, 0
	for round := range raceRounds {
		tok := raceGuest(t, srv, round)
		if prepare != nil {
			tok = prepare(tok)
		}
		// Each dialer dials again and again until it is refused, so that dials are on their way
		// whenever the end lands; the end starts once the first socket is in.
		first := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		socks := make(chan *websocket.Conn, raceDials*raceRedials)
		for range raceDials {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range raceRedials {
					ws, _, err := servertest.DialRaw(srv.WSURL(), servertest.Bearer(tok.AccessToken), wire.Subprotocol)
					if err != nil {
						return
					}
					socks <- ws
					once.Do(func() { close(first) })
				}
			}()
		}
		<-first
		end(tok)
		wg.Wait()
		close(socks)
		for ws := range socks {
			admitted++
			if stillServed(t, ws) {
				left++
			}
			ws.Close()
		}
	}
	t.Logf("%d rounds of %d dials: %d sockets let in, %d left open", raceRounds, raceDials, admitted, left)
	if left > 0 {
		t.Fatalf("%d sockets stayed open after their session ended", left)
	}
}

// stillServed pings ws and reports whether the server answered rather than closing it 4003.
func stillServed(t *testing.T, ws *websocket.Conn) bool {
	t.Helper()
	b, err := wire.Encode(wire.TypePing, 7, wire.Ping{C: 1})
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.WriteMessage(websocket.BinaryMessage, b) // a closing server may already have hung up
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok && ce.Code == wire.CloseRevoked {
				return false
			}
			t.Fatalf("socket ended without 4003: %v", err)
		}
		env, err := wire.Decode(msg, wire.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if env.T == wire.TypePong {
			return true
		}
	}
}

func TestUpgradeRacingLogoutLeavesNoSocket(t *testing.T) {
	srv := raceServer(t, nil)
	raceUpgrades(t, srv, nil, func(tok goclient.Tokens) {
		if err := goclient.New(srv.URL()).Logout(context.Background(), tok.AccessToken); err != nil {
			t.Fatalf("logout: %v", err)
		}
	})
}

func TestUpgradeRacingBanLeavesNoSocket(t *testing.T) {
	data := t.TempDir()
	if code, _, errOut := servertest.RunMain(t, "admin password\n", "user", "add", "--data", data, "--admin", "root"); code != 0 {
		t.Fatalf("user add: %d %s", code, errOut)
	}
	srv := raceServer(t, func(c *server.Config) { c.Data = data })
	h := servertest.NewClient(t, srv.URL(), "")
	admin := h.Login("root", "admin password")
	raceUpgrades(t, srv, nil, func(tok goclient.Tokens) {
		name := servertest.Claims(t, tok.AccessToken).Name
		if r := h.Do("POST", "/api/v1/admin/accounts/"+name+"/ban", admin.AccessToken, nil); r.Status != http.StatusNoContent {
			t.Fatalf("ban: %d %s", r.Status, r.Body)
		}
	})
}

// TestUpgradeRacingRefreshReuseLeavesNoSocket: the refresh token is used once before the
// round, and presented again, from another address, while the sockets are being opened.
func TestUpgradeRacingRefreshReuseLeavesNoSocket(t *testing.T) {
	srv := raceServer(t, nil)
	owner := servertest.NewClient(t, srv.URL(), "")
	thief := servertest.NewClient(t, srv.URL(), "127.0.0.9")
	var used string
	rotate := func(tok goclient.Tokens) goclient.Tokens {
		r := owner.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
		if r.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		var p servertest.Tokens
		r.Decode(t, &p)
		used = tok.RefreshToken
		return goclient.Tokens{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken}
	}
	raceUpgrades(t, srv, rotate, func(goclient.Tokens) {
		servertest.WantError(t, "reuse", thief.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": used}), 401, "token_revoked")
	})
}
