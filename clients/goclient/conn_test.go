package goclient_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestRequests(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	conns := make([]*goclient.Conn, 3)
	for i := range conns {
		c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{})
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer c.Close()
		conns[i] = c
	}
	host, second, third := conns[0], conns[1], conns[2]

	j, err := host.Create(ctx, wire.Create{Name: "duel", Private: true, MaxPlayers: 2})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if j.Lobby.Code == "" || j.Lobby.MaxPlayers != 2 || j.Player == 0 {
		t.Fatalf("joined = %+v", j)
	}
	if id, p := host.Lobby(); id != j.Lobby.ID || p != j.Player {
		t.Fatalf("Lobby() = %s %d, want %s %d", id, p, j.Lobby.ID, j.Player)
	}

	t.Run("join by code", func(t *testing.T) {
		j2, err := second.Join(ctx, wire.Join{Code: j.Lobby.Code})
		if err != nil || j2.Lobby.ID != j.Lobby.ID {
			t.Fatalf("join by code: %+v, %v", j2, err)
		}
	})
	t.Run("a full lobby is a typed error", func(t *testing.T) {
		_, err := third.Join(ctx, wire.Join{Code: j.Lobby.Code})
		if !errors.Is(err, goclient.ErrLobbyFull) {
			t.Fatalf("join full lobby: %v, want ErrLobbyFull", err)
		}
		var se *goclient.ServerError
		if !errors.As(err, &se) || se.Message == "" {
			t.Fatalf("error %v is not a *ServerError with a message", err)
		}
	})
	t.Run("an unknown lobby is ErrNotFound", func(t *testing.T) {
		if _, err := third.Join(ctx, wire.Join{Lobby: "lnope"}); !errors.Is(err, goclient.ErrNotFound) {
			t.Fatalf("join unknown: %v", err)
		}
		if errors.Is(goclient.ErrNotFound, goclient.ErrLobbyFull) {
			t.Fatal("ErrNotFound matches ErrLobbyFull")
		}
	})
	t.Run("quick join", func(t *testing.T) {
		j3, err := third.Join(ctx, wire.Join{Quick: true})
		if err != nil || j3.Lobby.ID == j.Lobby.ID {
			t.Fatalf("quick join: %+v, %v", j3, err)
		}
	})
	t.Run("ping", func(t *testing.T) {
		rtt, at, err := host.Ping(ctx)
		if err != nil || rtt <= 0 || rtt > 5*time.Second || time.Since(at).Abs() > time.Minute {
			t.Fatalf("ping: %v %v %v", rtt, at, err)
		}
	})
	t.Run("leave", func(t *testing.T) {
		if err := second.Leave(ctx); err != nil {
			t.Fatalf("leave: %v", err)
		}
		if id, _ := second.Lobby(); id != "" {
			t.Fatalf("still in %s after leave", id)
		}
		if err := second.Leave(ctx); !errors.Is(err, goclient.ErrNotInLobby) {
			t.Fatalf("second leave: %v, want ErrNotInLobby", err)
		}
	})
	t.Run("a done context ends a request", func(t *testing.T) {
		done, stop := context.WithCancel(ctx)
		stop()
		// Many times over: a live socket and a done context are both ready, and the context
		// must win every time, not half of them.
		for i := 0; i < 100; i++ {
			if _, _, err := host.Ping(done); !errors.Is(err, context.Canceled) {
				t.Fatalf("ping %d with a canceled context: %v", i, err)
			}
		}
	})
}

// TestRawSnapshots plays through OnSnapshot: tick and ack come pre-read, the player's own row
// is found without a full decode and agrees with one, and acks reach the last input.
func TestRawSnapshots(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())

	type seen struct {
		tick, ack uint64
		me, full  clientarena.Player
		found     bool
	}
	got := make(chan seen, 256)
	var me atomic.Uint32
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{OnSnapshot: func(r *goclient.RawSnapshot) {
		s := seen{tick: r.Tick, ack: uint64(r.Ack)}
		s.me, s.found = clientarena.FindPlayer(r.D, me.Load())
		if raw, err := r.Decode(); err == nil && raw.Tick == r.Tick {
			if full, err := clientarena.Decode(raw); err == nil && full.Tick == r.Tick {
				s.full, _ = full.Player(me.Load())
			}
		}
		select {
		case got <- s:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j, err := c.Join(ctx, wire.Join{Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	me.Store(j.Player)
	var last uint64
	startX := float32(-1)
	for seq := uint32(1); ; {
		select {
		case s := <-got:
			if s.tick <= last {
				t.Fatalf("tick %d after %d", s.tick, last)
			}
			last = s.tick
			if !s.found || s.me != s.full || s.me.ID != j.Player {
				t.Fatalf("raw player %+v (found %v), decoded %+v", s.me, s.found, s.full)
			}
			if startX < 0 {
				startX = s.me.X
			}
			if s.ack >= 20 {
				// 20 ticks at full speed cover 220 units, unless the wall (x=784) comes first.
				if s.me.X-startX < 150 && s.me.X < 780 {
					t.Fatalf("steering right for 20 ticks moved the player from x=%v to %v", startX, s.me.X)
				}
				return
			}
			if seq <= 20 {
				if err := clientarena.SendInput(c, clientarena.Input{Seq: seq, DX: 1}); err != nil {
					t.Fatal(err)
				}
				seq++
			}
		case <-ctx.Done():
			t.Fatal("acks never reached 20")
		}
	}
}

// TestReauthKeepsTheSocket runs with access tokens of 4 s: the server asks for a reauth 2 s
// before each expiry, and the Conn refreshes and re-authenticates in band, on the same socket,
// while snapshots keep flowing.
func TestReauthKeepsTheSocket(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, func(c *serverConfig) { c.AccessTTL, c.ReauthLead = 4*time.Second, 2*time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	st := newStatuses()
	tokens := make(chan goclient.Tokens, 16)
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{
		OnStatus: st.add,
		OnTokens: func(tk goclient.Tokens) { tokens <- tk },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Join(ctx, wire.Join{Quick: true}); err != nil {
		t.Fatal(err)
	}
	var maxGap time.Duration
	var prev time.Time
	for st.count(goclient.StatusReauthed) < 3 {
		select {
		case s := <-c.Snapshots():
			if !prev.IsZero() {
				maxGap = max(maxGap, s.Received.Sub(prev))
			}
			prev = s.Received
		case <-c.Done():
			t.Fatalf("connection ended: %v (statuses %v)", c.Err(), st.seen)
		case <-ctx.Done():
			t.Fatalf("only %d reauths; statuses %v", st.count(goclient.StatusReauthed), st.seen)
		}
	}
	if n := st.count(goclient.StatusDisconnected) + st.count(goclient.StatusReauthFailed); n != 0 {
		t.Fatalf("statuses %v: want only reauths", st.seen)
	}
	if maxGap > 2*time.Second {
		t.Fatalf("snapshots stopped for %s around a reauth", maxGap)
	}
	if len(tokens) < 3 || c.Tokens() == (goclient.Tokens{}) {
		t.Fatalf("OnTokens heard %d refreshes", len(tokens))
	}
	if _, err := api.Me(ctx, c.Tokens().AccessToken); err != nil {
		t.Fatalf("the newest access token does not work: %v", err)
	}
}

// TestExpiredWithoutReauth: a Dial'd socket hears reauth_required on Other and, unanswered, is
// closed 4001 at expiry, which Err reports as ErrExpired.
func TestExpiredWithoutReauth(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, func(c *serverConfig) { c.AccessTTL = 2 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	c, err := goclient.Dial(ctx, goclient.WebSocketURL(ts.URL()), guest(t, ctx, api).AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case env := <-c.Other():
		if env.T != wire.TypeReauthRequired {
			t.Fatalf("first other frame %q", env.T)
		}
	case <-ctx.Done():
		t.Fatal("no reauth_required")
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the socket outlived its token")
	}
	err = c.Err()
	var ce *goclient.CloseError
	if !errors.Is(err, goclient.ErrExpired) || !errors.As(err, &ce) || ce.Code != wire.CloseTokenExpired {
		t.Fatalf("Err() = %v, want ErrExpired (4001)", err)
	}
	if errors.Is(err, goclient.ErrRevoked) {
		t.Fatal("4001 matches ErrRevoked")
	}
}

// TestLogoutEndsTheConnection: logout closes the socket 4003, and a Conn made by Connect ends
// with ErrRevoked instead of reconnecting.
func TestLogoutEndsTheConnection(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	st := newStatuses()
	tok := guest(t, ctx, api)
	c, err := api.Connect(ctx, tok, goclient.Options{OnStatus: st.add})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := api.Logout(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the socket outlived its session")
	}
	if err := c.Err(); !errors.Is(err, goclient.ErrRevoked) {
		t.Fatalf("Err() = %v, want ErrRevoked", err)
	}
	if len(st.seen) != 0 {
		t.Fatalf("statuses %v after a revocation: want none", st.seen)
	}
	if _, err := c.Join(ctx, wire.Join{Quick: true}); !errors.Is(err, goclient.ErrRevoked) {
		t.Fatalf("join after the end: %v", err)
	}
	if err := clientarena.SendInput(c, clientarena.Input{Seq: 1}); !errors.Is(err, goclient.ErrClosed) {
		t.Fatalf("input after the end: %v", err)
	}
}

// TestPolicyClose: a client over the message rate is closed 4008, which ends the Conn with
// ErrPolicy: reconnecting would not help.
func TestPolicyClose(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, func(c *serverConfig) { c.MsgRate, c.MsgBurst = 5, 5 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	st := newStatuses()
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{OnStatus: st.add})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 50 {
		if clientarena.SendInput(c, clientarena.Input{Seq: uint32(i + 1)}) != nil {
			break
		}
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("not closed")
	}
	if err := c.Err(); !errors.Is(err, goclient.ErrPolicy) {
		t.Fatalf("Err() = %v, want ErrPolicy", err)
	}
	if len(st.seen) != 0 {
		t.Fatalf("statuses %v: want none", st.seen)
	}
}

func TestDialRefused(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := goclient.Dial(ctx, goclient.WebSocketURL(ts.URL()), "not-a-token")
	var ae *goclient.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "invalid_token" {
		t.Fatalf("dial with a bad token: %v, want a 401 invalid_token *APIError", err)
	}
}

// clock is a server clock that a test steps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestConnectRefreshesAnExpiredToken: a token pair whose access token expired while it waited
// still connects, through its refresh token.
func TestConnectRefreshesAnExpiredToken(t *testing.T) {
	leakCheck(t)
	clk := &clock{t: time.Now()}
	ts := servertest.Start(t, func(c *serverConfig) { c.Now = clk.Now })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	tok := guest(t, ctx, api)
	clk.Add(time.Hour) // past the 15 min access token, well within the refresh token
	if _, err := goclient.Dial(ctx, goclient.WebSocketURL(ts.URL()), tok.AccessToken); !errors.Is(err, goclient.ErrExpired) {
		t.Fatalf("dial with the expired token: %v, want ErrExpired", err)
	}
	c, err := api.Connect(ctx, tok, goclient.Options{})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close()
	if c.Tokens().AccessToken == tok.AccessToken {
		t.Fatal("connected without a new token")
	}
	if _, _, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAnswersServerPings: a client that sends nothing stays connected, because it answers the
// server's WebSocket pings; the server drops a socket that is silent for PongWait.
func TestAnswersServerPings(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, func(c *serverConfig) { c.PongWait = time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := connectGuest(t, ctx, ts, goclient.Options{NoReconnect: true})
	select {
	case <-c.Done():
		t.Fatalf("the connection ended while it only answered pings: %v", c.Err())
	case <-time.After(3500 * time.Millisecond):
	}
	if _, _, err := c.Ping(ctx); err != nil {
		t.Fatalf("ping after 3.5 PongWaits of silence: %v", err)
	}
}

// TestShortWriteTimeoutKeepsWriting: the write deadline moves on often enough for a
// WriteTimeout shorter than a second; a client sending for several timeouts is never cut off.
func TestShortWriteTimeoutKeepsWriting(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := connectGuest(t, ctx, ts, goclient.Options{NoReconnect: true, WriteTimeout: 200 * time.Millisecond})
	if _, err := c.Create(ctx, wire.Create{Name: "short"}); err != nil {
		t.Fatalf("create: %v", err)
	}
	for seq := uint32(1); seq <= 30; seq++ { // 1.5 s: seven and a half timeouts
		if err := clientarena.SendInput(c, clientarena.Input{Seq: seq}); err != nil {
			t.Fatalf("input %d, %v after the first: %v", seq, time.Duration(seq-1)*50*time.Millisecond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, _, err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}
