package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestReauthCyclesKeepEverythingFlowing runs a player for 20 s on 3 s access tokens. Each time
// the server asks, the client refreshes over HTTP and reauthenticates in band, while it sends an
// input every 50 ms and receives a snapshot every tick: no tick is missed, acks never go back
// and the last input is acknowledged.
func TestReauthCyclesKeepEverythingFlowing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 20 s")
	}
	srv := servertest.Start(t, func(c *server.Config) { c.AccessTTL = 3 * time.Second }, servertest.Metrics)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tok := srv.Guest(t, "cycler")
	c, err := goclient.Dial(ctx, srv.WSURL(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create(ctx, wire.Create{Name: "cycles"}); err != nil {
		t.Fatal(err)
	}

	const run = 20 * time.Second
	inputsDone := make(chan uint32, 1)
	go func() {
		seq := uint32(0)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for end := time.Now().Add(run); time.Now().Before(end); <-tick.C {
			seq++
			if clientarena.SendInput(c, clientarena.Input{Seq: seq, DX: 0.3, DY: -0.3}) != nil {
				break
			}
		}
		inputsDone <- seq
	}()

	type result struct {
		refresh string // the refresh token to use next
		err     error
	}
	reauths := make(chan result, 16)
	refresh := tok.RefreshToken
	var lastTick uint64
	var lastAck, lastSeq uint32
	var lastArrival time.Time
	var worstGap time.Duration
	cycles, snapshots := 0, 0
	for lastSeq == 0 || lastAck < lastSeq {
		select {
		case s := <-c.Snapshots():
			if lastTick != 0 && s.Tick != lastTick+1 {
				t.Fatalf("tick %d after %d: a snapshot was lost (superseded %v)", s.Tick, lastTick, srv.Metric(t, "tickwire_snapshots_superseded_total", ""))
			}
			if s.Ack < lastAck {
				t.Fatalf("ack went back from %d to %d", lastAck, s.Ack)
			}
			if !lastArrival.IsZero() {
				worstGap = max(worstGap, s.Received.Sub(lastArrival))
			}
			lastTick, lastAck, lastArrival = s.Tick, s.Ack, s.Received
			snapshots++
		case env := <-c.Other():
			if env.T != wire.TypeReauthRequired {
				t.Fatalf("unexpected %s frame", env.T)
			}
			var rr wire.ReauthRequired
			servertest.DecodePayload(t, env, &rr)
			if left := time.Until(time.Unix(rr.Exp, 0)); left < 500*time.Millisecond {
				t.Fatalf("reauth_required came %v before exp, want at least ttl/4 (750 ms)", left)
			}
			// Refresh and reauthenticate on the side, as a client's background task would,
			// while this loop keeps reading snapshots.
			go func(refreshToken string) {
				fresh, err := goclient.New(srv.URL()).Refresh(ctx, refreshToken)
				if err != nil {
					reauths <- result{err: err}
					return
				}
				var ok wire.ReauthOK
				if err := c.Request(ctx, wire.TypeReauth, wire.Reauth{Token: fresh.AccessToken}, &ok); err != nil {
					reauths <- result{err: err}
					return
				}
				if want := servertest.Claims(t, fresh.AccessToken).ExpiresAt.Unix(); ok.Exp != want {
					reauths <- result{err: errors.New("reauth_ok carries another exp")}
					return
				}
				reauths <- result{refresh: fresh.RefreshToken}
			}(refresh)
		case r := <-reauths:
			if r.err != nil {
				t.Fatalf("reauth: %v", r.err)
			}
			refresh = r.refresh
			cycles++
		case lastSeq = <-inputsDone:
		case <-c.Done():
			t.Fatalf("the socket closed: %v", c.Err())
		case <-ctx.Done():
			t.Fatalf("ack %d never reached seq %d", lastAck, lastSeq)
		}
	}
	t.Logf("%d reauths, %d snapshots, %d inputs; longest gap between snapshots %v", cycles, snapshots, lastSeq, worstGap)
	if cycles < 6 {
		t.Fatalf("only %d reauth cycles in %v", cycles, run)
	}
	if snapshots < int(run/(50*time.Millisecond))*9/10 {
		t.Fatalf("only %d snapshots in %v at 20 Hz", snapshots, run)
	}
	if worstGap > time.Second {
		t.Fatalf("snapshots stopped for %v", worstGap)
	}
	if n := srv.Metric(t, "tickwire_reauths_total", `result="ok"`); int(n) != cycles {
		t.Fatalf("reauths{ok} = %v, want %d", n, cycles)
	}
}

func TestExpiryCloses4001(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.AccessTTL = 3 * time.Second }, servertest.Metrics)
	tok := srv.Guest(t, "lapsed").AccessToken
	exp := servertest.Claims(t, tok).ExpiresAt.Time
	ws := srv.Dial(t, tok)
	env := servertest.ReadEnvelope(t, ws)
	var rr wire.ReauthRequired
	servertest.DecodePayload(t, env, &rr)
	if env.T != wire.TypeReauthRequired || rr.Exp != exp.Unix() || time.Until(exp) < 600*time.Millisecond {
		t.Fatalf("got %s %+v %v before exp", env.T, rr, time.Until(exp))
	}
	code, _ := servertest.WaitClose(t, ws, 10*time.Second)
	if off := time.Since(exp); code != 4001 || off < -100*time.Millisecond || off > time.Second {
		t.Fatalf("closed %d at %v from exp, want 4001 at exp", code, off)
	}
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="4001",reason="token expired"`); n != 1 {
		t.Fatalf("closes{4001} = %v", n)
	}
}

// TestRefusedReauthKeepsTheOldExpiry: a reauth with another account's token, or an expired one,
// is answered with an error, and the connection still ends at its own token's exp.
func TestRefusedReauthKeepsTheOldExpiry(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.AccessTTL = 3 * time.Second }, servertest.Metrics)
	tok := srv.Guest(t, "keeper").AccessToken
	exp := servertest.Claims(t, tok).ExpiresAt.Time
	ws := srv.Dial(t, tok)
	for i, c := range []struct{ token, code string }{
		{srv.Guest(t, "other").AccessToken, wire.CodeWrongAccount},
		{srv.Mint(t, tok, time.Now().Add(-time.Hour), time.Minute, "play"), wire.CodeTokenExpired},
		{srv.Mint(t, tok, time.Now(), time.Hour, "host"), wire.CodeForbidden},
	} {
		id := uint64(i + 1)
		servertest.WriteEnvelope(t, ws, wire.TypeReauth, id, wire.Reauth{Token: c.token})
		env := servertest.ReadEnvelope(t, ws)
		if env.T == wire.TypeReauthRequired {
			env = servertest.ReadEnvelope(t, ws)
		}
		var e wire.Error
		servertest.DecodePayload(t, env, &e)
		if env.T != wire.TypeError || env.ID != id || e.Code != c.code {
			t.Fatalf("reauth answered %s id %d %+v, want error %s", env.T, env.ID, e, c.code)
		}
	}
	code, _ := servertest.WaitClose(t, ws, 10*time.Second)
	if off := time.Since(exp); code != 4001 || off < -100*time.Millisecond || off > time.Second {
		t.Fatalf("closed %d at %v from the old exp, want 4001 at it", code, off)
	}
}

// TestEndedSessionsClose4003 ends sessions three ways and times each live socket's 4003.
func TestEndedSessionsClose4003(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	ctx := context.Background()
	within := func(t *testing.T, ws *websocket.Conn, since time.Time) {
		t.Helper()
		code, _ := servertest.WaitClose(t, ws, 5*time.Second)
		took := time.Since(since)
		t.Logf("closed %d %v after the request", code, took)
		if code != 4003 || took >= time.Second {
			t.Fatalf("closed %d after %v, want 4003 within 1 s", code, took)
		}
	}

	t.Run("logout closes the session's sockets, not the account's other session", func(t *testing.T) {
		if _, err := goclient.New(srv.URL()).Register(ctx, "dora", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		one, err := goclient.New(srv.URL()).Login(ctx, "dora", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		two, err := goclient.New(srv.URL()).Login(ctx, "dora", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		a, b, other := srv.Dial(t, one.AccessToken), srv.Dial(t, one.AccessToken), srv.Dial(t, two.AccessToken)
		start := time.Now()
		if err := goclient.New(srv.URL()).Logout(ctx, one.AccessToken); err != nil {
			t.Fatal(err)
		}
		within(t, a, start)
		within(t, b, start)
		servertest.WriteEnvelope(t, other, wire.TypePing, 5, wire.Ping{C: 1})
		expectFrame(t, other, wire.TypePong, 5)
		if n := srv.Metric(t, "tickwire_socket_kicks_total", `reason="logout"`); n != 2 {
			t.Fatalf("kicks{logout} = %v", n)
		}
	})

	t.Run("refresh token reuse", func(t *testing.T) {
		tok := srv.Guest(t, "reuser")
		ws := srv.Dial(t, tok.AccessToken)
		if _, err := goclient.New(srv.URL()).Refresh(ctx, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
		// The first presentation again, right away and from the same address, is a retry and
		// answered; the next is reuse.
		if _, err := goclient.New(srv.URL()).Refresh(ctx, tok.RefreshToken); err != nil {
			t.Fatalf("retried refresh: %v", err)
		}
		start := time.Now()
		_, err := goclient.New(srv.URL()).Refresh(ctx, tok.RefreshToken)
		var ae *goclient.APIError
		if !errors.As(err, &ae) || ae.Code != "token_revoked" {
			t.Fatalf("reused refresh = %v", err)
		}
		within(t, ws, start)
		if n := srv.Metric(t, "tickwire_socket_kicks_total", `reason="refresh_reuse"`); n != 1 {
			t.Fatalf("kicks{refresh_reuse} = %v", n)
		}
	})

	t.Run("a socket moved to a new session by reauth follows it", func(t *testing.T) {
		one, err := goclient.New(srv.URL()).Login(ctx, "dora", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		two, err := goclient.New(srv.URL()).Login(ctx, "dora", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		ws := srv.Dial(t, one.AccessToken)
		servertest.WriteEnvelope(t, ws, wire.TypeReauth, 1, wire.Reauth{Token: two.AccessToken})
		expectFrame(t, ws, wire.TypeReauthOK, 1)
		if err := goclient.New(srv.URL()).Logout(ctx, one.AccessToken); err != nil {
			t.Fatal(err)
		}
		servertest.WriteEnvelope(t, ws, wire.TypePing, 2, wire.Ping{})
		expectFrame(t, ws, wire.TypePong, 2)
		start := time.Now()
		if err := goclient.New(srv.URL()).Logout(ctx, two.AccessToken); err != nil {
			t.Fatal(err)
		}
		within(t, ws, start)
	})

	t.Run("a ban closes every socket of the account", func(t *testing.T) {
		if _, err := srv.Auth().Register(ctx, "root", "correct horse battery", true); err != nil {
			t.Fatal(err)
		}
		admin, err := goclient.New(srv.URL()).Login(ctx, "root", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		one, err := goclient.New(srv.URL()).Login(ctx, "dora", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		guest := srv.Guest(t, "bystander")
		a, b := srv.Dial(t, one.AccessToken), srv.Dial(t, one.AccessToken)
		bystander := srv.Dial(t, guest.AccessToken)
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/api/v1/admin/accounts/dora/ban", nil)
		req.Header.Set("Authorization", "Bearer "+admin.AccessToken)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("ban: %v %s", err, servertest.RespStatus(resp))
		}
		resp.Body.Close()
		within(t, a, start)
		within(t, b, start)
		servertest.WriteEnvelope(t, bystander, wire.TypePing, 3, wire.Ping{})
		expectFrame(t, bystander, wire.TypePong, 3)
		if n := srv.Metric(t, "tickwire_socket_kicks_total", `reason="ban"`); n != 2 {
			t.Fatalf("kicks{ban} = %v", n)
		}
	})
}
