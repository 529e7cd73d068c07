package goclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestReconnectTakesBackTheSeat cuts the network under a playing Conn: it reconnects, rejoins
// its lobby by id and gets its own seat back, and its inputs are acknowledged again.
func TestReconnectTakesBackTheSeat(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	px := startProxy(t, ts.Config.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := goclient.New(px.URL())
	st := newStatuses()
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{OnStatus: st.add, MinBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j, err := c.Join(ctx, wire.Join{Quick: true})
	if err != nil {
		t.Fatal(err)
	}

	px.cut()
	if s := st.waitFor(t, goclient.StatusDisconnected, 5*time.Second); s.Err == nil {
		t.Fatal("disconnected without a reason")
	}
	st.waitFor(t, goclient.StatusReconnected, 10*time.Second)
	st.waitFor(t, goclient.StatusRejoined, 5*time.Second)
	if id, p := c.Lobby(); id != j.Lobby.ID || p != j.Player {
		t.Fatalf("after the rejoin: lobby %s player %d, want %s %d", id, p, j.Lobby.ID, j.Player)
	}
	// A request made now is answered on the new socket.
	if _, _, err := c.Ping(ctx); err != nil {
		t.Fatalf("ping after reconnect: %v", err)
	}
	const seq = 1000
	for {
		if err := clientarena.SendInput(c, clientarena.Input{Seq: seq, DX: 1}); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-c.Snapshots():
			if s.Ack == seq {
				return
			}
		case <-ctx.Done():
			t.Fatal("inputs on the new socket were never acknowledged")
		}
	}
}

// TestReconnectAfterRestart shuts the server down (1001) and starts it again on the same address
// and data folder: the Conn reconnects with its token pair, learns that its lobby is gone, and
// can join another.
func TestReconnectAfterRestart(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	st := newStatuses()
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{OnStatus: st.add, MinBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create(ctx, wire.Create{Name: "before"}); err != nil {
		t.Fatal(err)
	}

	ts.Stop()
	if s := st.waitFor(t, goclient.StatusDisconnected, 15*time.Second); !errors.Is(s.Err, goclient.ErrGoingAway) {
		t.Fatalf("disconnected with %v, want ErrGoingAway", s.Err)
	}
	// A request while the server is down waits for the reconnect rather than failing.
	pong := make(chan error, 1)
	go func() { _, _, err := c.Ping(ctx); pong <- err }()
	ts.Restart()
	st.waitFor(t, goclient.StatusReconnected, 15*time.Second)
	if s := st.waitFor(t, goclient.StatusRejoinFailed, 5*time.Second); !errors.Is(s.Err, goclient.ErrNotFound) {
		t.Fatalf("rejoin failed with %v, want ErrNotFound", s.Err)
	}
	if err := <-pong; err != nil {
		t.Fatalf("ping across the restart: %v", err)
	}
	if id, _ := c.Lobby(); id != "" {
		t.Fatalf("still in %s", id)
	}
	if _, err := c.Join(ctx, wire.Join{Quick: true}); err != nil {
		t.Fatalf("join after restart: %v", err)
	}
	select {
	case <-c.Snapshots():
	case <-ctx.Done():
		t.Fatal("no snapshot after the restart")
	}
}

// TestReconnectGivesUp: with the server gone for good, a Conn stops trying after ReconnectFor
// and ends with the error that stopped it.
func TestReconnectGivesUp(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{MinBackoff: 50 * time.Millisecond, ReconnectFor: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts.Stop()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("still reconnecting")
	}
	if err := c.Err(); err == nil || errors.Is(err, goclient.ErrClosed) {
		t.Fatalf("Err() = %v, want why reconnecting failed", err)
	}
}

// TestCloseStopsAReconnect: Close during a reconnect returns promptly and leaves nothing running.
func TestCloseStopsAReconnect(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := goclient.New(ts.URL())
	st := newStatuses()
	c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{OnStatus: st.add, MinBackoff: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts.Stop()
	st.waitFor(t, goclient.StatusDisconnected, 15*time.Second)
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %s", d)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err() after Close = %v, want nil", err)
	}
}
