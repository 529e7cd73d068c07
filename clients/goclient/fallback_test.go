package goclient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestAConnWhoseNodeStopsAnsweringFallsBackToItsOrigin moves a playing Conn to a second
// address of the same server, as a join answered moved would, and takes that address away:
// the Conn's dials there are refused, FallbackAfter of them, then it goes back to the address
// it was first given and rejoins its lobby in its own seat.
func TestAConnWhoseNodeStopsAnsweringFallsBackToItsOrigin(t *testing.T) {
	for _, tc := range []struct {
		fallbackAfter int
		refused       int
	}{{0, 2}, {4, 4}} {
		t.Run(fmt.Sprintf("FallbackAfter %d", tc.fallbackAfter), func(t *testing.T) {
			leakCheck(t)
			ts := servertest.Start(t, nil)
			origin, away := startProxy(t, ts.Config.Addr), startProxy(t, ts.Config.Addr)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			api := goclient.New(origin.URL())
			st := newStatuses()
			c, err := api.Connect(ctx, guest(t, ctx, api), goclient.Options{OnStatus: st.add, FallbackAfter: tc.fallbackAfter,
				MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := goclient.MoveTo(ctx, c, goclient.WebSocketURL(away.URL())); err != nil {
				t.Fatal(err)
			}
			j, err := c.Join(ctx, wire.Join{Lobby: mustCreate(t, ctx, ts)})
			if err != nil {
				t.Fatal(err)
			}
			through := origin.count()

			away.close() // the node is gone: its port refuses
			start := time.Now()
			if s := st.waitFor(t, goclient.StatusFellBack, 10*time.Second); s.Err == nil {
				t.Fatal("fell back without a reason")
			}
			if s := st.waitFor(t, goclient.StatusReconnected, 10*time.Second); s.Attempt != tc.refused+1 {
				t.Fatalf("reconnected at attempt %d, want %d refused and one through the origin", s.Attempt, tc.refused)
			}
			st.waitFor(t, goclient.StatusRejoined, 10*time.Second)
			t.Logf("fell back and rejoined after %v", time.Since(start).Round(time.Millisecond))
			if origin.count() == through {
				t.Fatal("the new socket did not go through the origin")
			}
			if id, p := c.Lobby(); id != j.Lobby.ID || p != j.Player {
				t.Fatalf("after the fallback: lobby %s player %d, want %s %d", id, p, j.Lobby.ID, j.Player)
			}
			waitSnapshot(t, ctx, c)
		})
	}
}

// TestAQuickJoinIsMadeAgainWhenItsLobbyIsGone restarts the server under two Conns: the one that
// quick-joined is placed in a new lobby of the same game on its own; the one that joined by id
// is told that its lobby is gone.
func TestAQuickJoinIsMadeAgainWhenItsLobbyIsGone(t *testing.T) {
	leakCheck(t)
	ts := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	opts := func(st *statuses) goclient.Options {
		return goclient.Options{OnStatus: st.add, MinBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	}
	quickSt, byIDSt := newStatuses(), newStatuses()
	quick := connectGuest(t, ctx, ts, opts(quickSt))
	byID := connectGuest(t, ctx, ts, opts(byIDSt))
	before, err := quick.QuickJoin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := byID.Join(ctx, wire.Join{Lobby: before.Lobby.ID}); err != nil {
		t.Fatal(err)
	}

	ts.Stop()
	ts.Restart()
	quickSt.waitFor(t, goclient.StatusPlaced, 20*time.Second)
	if id, _ := quick.Lobby(); id == "" || id == before.Lobby.ID {
		t.Fatalf("placed in %q, want a new lobby (the old was %s)", id, before.Lobby.ID)
	}
	waitSnapshot(t, ctx, quick)

	s := byIDSt.waitFor(t, goclient.StatusRejoinFailed, 20*time.Second)
	if !errors.Is(s.Err, goclient.ErrLobbyGone) || !errors.Is(s.Err, goclient.ErrNotFound) {
		t.Fatalf("rejoin by id failed with %v, want ErrLobbyGone and ErrNotFound", s.Err)
	}
	if id, _ := byID.Lobby(); id != "" {
		t.Fatalf("the id-joined Conn is still in %s", id)
	}
	if n := byIDSt.count(goclient.StatusPlaced); n != 0 {
		t.Fatalf("the id-joined Conn was placed %d times", n)
	}
}

// mustCreate makes a lobby on ts for a new guest and returns its id; its host stays in it.
func mustCreate(t *testing.T, ctx context.Context, ts *servertest.Server) string {
	t.Helper()
	h := connectGuest(t, ctx, ts, goclient.Options{})
	j, err := h.Create(ctx, wire.Create{Name: "fallback", MaxPlayers: 4})
	if err != nil {
		t.Fatal(err)
	}
	return j.Lobby.ID
}

// waitSnapshot waits for a snapshot on c.
func waitSnapshot(t *testing.T, ctx context.Context, c *goclient.Conn) {
	t.Helper()
	for {
		select {
		case _, ok := <-c.Snapshots():
			if !ok {
				t.Fatalf("the connection ended: %v", c.Err())
			}
			return
		case <-ctx.Done():
			t.Fatal("no snapshot")
		}
	}
}
