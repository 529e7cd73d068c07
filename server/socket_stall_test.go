//go:build unix

package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// dialSmallWindow opens a socket whose kernel receive buffer is tiny, so that a client that
// stops reading fills it, and the server's send buffer behind it, within a second or two.
func dialSmallWindow(t *testing.T, url, token string) *websocket.Conn {
	t.Helper()
	return dialWindow(t, url, token, 2048)
}

// dialWindow is dialSmallWindow with a receive buffer of rcvbuf bytes.
func dialWindow(t *testing.T, url, token string, rcvbuf int) *websocket.Conn {
	t.Helper()
	nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		cerr := rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
		if cerr != nil {
			return cerr
		}
		return err
	}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, ReadBufferSize: 256}
	ws, resp, err := d.Dial(url, servertest.Bearer(token))
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, servertest.RespStatus(resp))
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// TestStalledClientHarmsNoOne seats a client that stops reading in a 60 Hz lobby with two that
// read. The readers get every snapshot, on schedule, while the stalled one's buffers fill; the
// stalled one is closed 4008 as too slow, and, once it reads again, finds that code.
func TestStalledClientHarmsNoOne(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.SendBuffer = 4096
		c.StallTimeout = time.Second
	}, servertest.Metrics)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var readers []*goclient.Conn
	lobby := ""
	for _, name := range []string{"steady", "ready"} {
		c, err := goclient.Dial(ctx, srv.WSURL(), srv.Guest(t, name).AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if lobby == "" {
			j, err := c.Create(ctx, wire.Create{Name: "stall", TickRate: 60, MaxPlayers: 4})
			if err != nil {
				t.Fatal(err)
			}
			lobby = j.Lobby.ID
		} else if _, err := c.Join(ctx, wire.Join{Lobby: lobby}); err != nil {
			t.Fatal(err)
		}
		readers = append(readers, c)
	}
	stalled := dialSmallWindow(t, srv.WSURL(), srv.Guest(t, "stalled").AccessToken)
	servertest.ReadEnvelope(t, stalled) // welcome
	servertest.WriteEnvelope(t, stalled, wire.TypeJoin, 1, wire.Join{Lobby: lobby})
	expectFrame(t, stalled, wire.TypeJoined, 1)
	// From here on the stalled client reads nothing.

	const period = time.Second / 60
	type track struct {
		tick0, last uint64
		t0          time.Time
		worstLate   time.Duration
		n           int
	}
	tracks := make([]track, len(readers))
	check := func(i int, s goclient.Snapshot) {
		tr := &tracks[i]
		switch {
		case tr.last == 0:
			tr.tick0, tr.t0 = s.Tick, s.Received
		case s.Tick != tr.last+1:
			t.Fatalf("reader %d: tick %d after %d", i, s.Tick, tr.last)
		default:
			due := tr.t0.Add(time.Duration(s.Tick-tr.tick0) * period)
			tr.worstLate = max(tr.worstLate, s.Received.Sub(due))
		}
		tr.last = s.Tick
		tr.n++
	}
	slowSeen := time.Time{}
	deadline := time.Now().Add(20 * time.Second)
	for slowSeen.IsZero() || time.Since(slowSeen) < time.Second {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled client was not found too slow in 20 s")
		}
		for i, c := range readers {
		drain:
			for {
				select {
				case s := <-c.Snapshots():
					check(i, s)
				default:
					break drain
				}
			}
		}
		if slowSeen.IsZero() && srv.Metric(t, "tickwire_slow_consumer_closes_total", "") == 1 {
			slowSeen = time.Now()
			// It reads again: the close frame waits behind what it left unread.
			code, _ := servertest.WaitClose(t, stalled, 5*time.Second)
			if code != 4008 {
				t.Fatalf("the stalled client was closed %d, want 4008", code)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, tr := range tracks {
		t.Logf("reader %d: %d snapshots, ticks %d to %d, at most %v behind schedule", i, tr.n, tr.tick0, tr.last, tr.worstLate)
		if tr.n < 60 {
			t.Fatalf("reader %d saw only %d snapshots", i, tr.n)
		}
		if tr.worstLate > 750*time.Millisecond { // machine load moves both readers alike; a lobby held up by the stalled socket would lag by its stall
			t.Fatalf("reader %d fell %v behind the tick schedule", i, tr.worstLate)
		}
	}
	servertest.Eventually(t, 5*time.Second, "the stalled socket is gone", func() bool { return srv.Metric(t, "tickwire_sockets_open", "") == 2 })
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="4008",reason="client too slow"`); n != 1 {
		t.Fatalf("closes{4008, too slow} = %v", n)
	}
}

// TestWriteDeadlineDropsABlockedSocket: with the stall check out of the way, a write that stays
// blocked for --write-wait ends the socket, and the lobby goes on.
func TestWriteDeadlineDropsABlockedSocket(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.SendBuffer = 4096
		c.StallTimeout = time.Hour
		c.WriteWait = 500 * time.Millisecond
	}, servertest.Metrics)
	ctx := t.Context()
	host, err := goclient.Dial(ctx, srv.WSURL(), srv.Guest(t, "host").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	j, err := host.Create(ctx, wire.Create{TickRate: 60})
	if err != nil {
		t.Fatal(err)
	}
	stalled := dialSmallWindow(t, srv.WSURL(), srv.Guest(t, "blocked").AccessToken)
	servertest.ReadEnvelope(t, stalled)
	servertest.WriteEnvelope(t, stalled, wire.TypeJoin, 1, wire.Join{Lobby: j.Lobby.ID})
	expectFrame(t, stalled, wire.TypeJoined, 1)
	servertest.Eventually(t, 20*time.Second, "the blocked socket is dropped", func() bool { return srv.Metric(t, "tickwire_sockets_open", "") == 1 })
	if n := srv.Metric(t, "tickwire_slow_consumer_closes_total", ""); n != 0 {
		t.Fatalf("slow closes = %v; the write deadline, not the stall check, should have ended it", n)
	}
	select {
	case <-host.Done():
		t.Fatalf("the host's socket closed: %v", host.Err())
	case s := <-host.Snapshots():
		if s.Tick == 0 {
			t.Fatal("no tick")
		}
	}
}

// TestFullSendQueueClosesPolicy: control frames are never dropped, so a client whose writer is
// stuck and whose queue of control frames reaches --send-queue is closed 4008 as too slow. The
// stall timeout is set far off, so only the queue can be what closes it.
func TestFullSendQueueClosesPolicy(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.SendBuffer = 4096
		c.StallTimeout = time.Hour
		c.SendQueue = 4
		// The client's receive buffer is small but not tiny: with one of 2 KiB, loopback TCP now
		// and then drops the segments that carry the server's acknowledgements, and the client's
		// pings then never arrive. The larger buffer takes longer to fill, so the write deadline
		// is set past the time that takes.
		c.WriteWait = 2 * time.Minute
	}, servertest.Metrics)
	stalled := dialWindow(t, srv.WSURL(), srv.Guest(t, "queued").AccessToken, 8192)
	servertest.ReadEnvelope(t, stalled) // welcome
	servertest.WriteEnvelope(t, stalled, wire.TypeCreate, 1, wire.Create{Name: "queue", TickRate: 60})
	expectFrame(t, stalled, wire.TypeJoined, 1)
	// From here on it reads nothing: 60 snapshots a second fill both kernel buffers and leave
	// the writer stuck; each ping then queues a pong behind it.
	deadline := time.Now().Add(60 * time.Second)
	for id := uint64(2); srv.Metric(t, "tickwire_slow_consumer_closes_total", "") == 0; id++ {
		if time.Now().After(deadline) {
			resp, err := http.Get(srv.MetricsURL() + "/metrics")
			var closes []string
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for _, l := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(l, "tickwire_socket") || strings.HasPrefix(l, "tickwire_snapshots") {
						closes = append(closes, l)
					}
				}
			}
			t.Fatalf("a full control queue did not close the socket in 60 s; %s", strings.Join(closes, "; "))
		}
		servertest.WriteEnvelope(t, stalled, wire.TypePing, id, wire.Ping{C: 1})
		time.Sleep(50 * time.Millisecond)
	}
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="4008",reason="client too slow"`); n != 1 {
		t.Errorf("closes 4008 for a slow client = %v, want 1", n)
	}
}
