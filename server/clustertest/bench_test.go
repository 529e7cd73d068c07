//go:build clusterbench

package clustertest_test

// The cluster's benchmarks (make bench-cluster): a database node and two game nodes, each a
// child process, on the real NATS cluster of this test binary. They start three processes
// each, so they are built only with the clusterbench tag and stay out of make bench.

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// benchCluster is a database node and two game nodes.
type benchCluster struct {
	db, a, b *clustertest.Process
}

// lifted are the per-address and per-account limits a benchmark from one address, with many
// sockets and guests, would otherwise reach.
var lifted = []string{"--guest-addr-burst", "100000", "--max-conns-per-addr", "100000",
	"--max-conns-per-account", "1000", "--max-spectators", "1024", "--log-level", "warn"}

func startBenchCluster(b *testing.B) benchCluster {
	b.Helper()
	prefix := clustertest.Prefix(b)
	c := benchCluster{db: clustertest.StartProcess(b, prefix, append([]string{"--node-id", "db"}, lifted...)...)}
	// A game node waits for the database node's keys, which it publishes once it serves.
	c.a = clustertest.StartProcess(b, prefix, append([]string{"--node-id", "game-a", "--role", "game"}, lifted...)...)
	c.b = clustertest.StartProcess(b, prefix, append([]string{"--node-id", "game-b", "--role", "game"}, lifted...)...)
	return c
}

// guest signs a guest up on the database node.
func benchGuest(b *testing.B, c benchCluster, name string) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := goclient.New(c.db.URL).Guest(ctx, name)
	if err != nil {
		b.Fatalf("guest %s: %v", name, err)
	}
	return tok.AccessToken
}

// reportPercentiles reports the p50 and p99 of ds, in milliseconds, under prefix.
func reportPercentiles(b *testing.B, prefix string, ds []time.Duration) {
	b.Helper()
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(s[len(s)/2]), prefix+"p50-ms")
	b.ReportMetric(ms(p99(s)), prefix+"p99-ms")
}

// BenchmarkMovedJoin: a socket on game node B joins a lobby hosted on game node A; each op is
// that join as the Go SDK makes it, from sending the join to B to being in the lobby on A: the
// answer moved, a new socket to A (its handshake and welcome) and the join there. The first
// socket's dial, and the close, are outside the timer. Metrics: the joins' p50 and p99.
func BenchmarkMovedJoin(b *testing.B) {
	c := startBenchCluster(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	host, err := goclient.Dial(ctx, goclient.WebSocketURL(c.a.URL), benchGuest(b, c, "host"))
	if err != nil {
		b.Fatal(err)
	}
	defer host.Close()
	lobby, err := host.Create(ctx, wire.Create{Name: "moved bench", MaxPlayers: 8})
	if err != nil {
		b.Fatal(err)
	}
	// Spectators, so that the lobby never fills; one account per join, so that no account
	// keeps sockets that are still closing.
	tokens := make([]string, 32)
	for i := range tokens {
		tokens[i] = benchGuest(b, c, fmt.Sprintf("mover%d", i))
	}
	join := wire.Join{Lobby: lobby.Lobby.ID, Spectate: true}
	servertest.Eventually(b, 5*time.Second, "game-a's lobby in game-b's directory", func() bool {
		conn, err := goclient.Dial(ctx, goclient.WebSocketURL(c.b.URL), tokens[0])
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		_, err = conn.Join(ctx, join)
		return err == nil
	})

	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		conn, err := goclient.Dial(ctx, goclient.WebSocketURL(c.b.URL), tokens[i%len(tokens)])
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		j, err := conn.Join(ctx, join)
		d := time.Since(start)
		b.StopTimer()
		if err != nil || j.Lobby.ID != lobby.Lobby.ID {
			b.Fatalf("join %d from game-b: %+v %v", i, j.Lobby, err)
		}
		took = append(took, d)
		conn.Close()
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, "", took)
}

// BenchmarkRevocationFanOut: each op is one logout of a session that has a socket on each game
// node, sent to one of them in turn (forwarded to the database node, which commits it and
// publishes the revocation), until both sockets are closed with 4003. Times run from sending
// the logout to each close. Metrics: p50 and p99 over every socket, and remote-p99 over the
// sockets on the node that did not take the logout. -benchtime 100x: 200 sockets.
func BenchmarkRevocationFanOut(b *testing.B) {
	c := startBenchCluster(b)
	var all, remote []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		tok := benchGuest(b, c, fmt.Sprintf("leaver%d", i))
		nodes := []*clustertest.Process{c.a, c.b}
		if i%2 == 1 {
			nodes[0], nodes[1] = c.b, c.a
		}
		var watches []*closeWatch
		var sockets []*websocket.Conn
		for _, n := range nodes {
			ws, resp, err := servertest.DialRaw(goclient.WebSocketURL(n.URL), servertest.Bearer(tok))
			if err != nil {
				b.Fatalf("dial %s: %v %s", n.URL, err, servertest.RespStatus(resp))
			}
			sockets = append(sockets, ws)
			watches = append(watches, watchClose(ws))
		}
		b.StartTimer()
		start := time.Now()
		status, body, _ := servertest.Call(b, nil, "POST", nodes[0].URL+"/api/v1/auth/logout", tok, nil)
		if status != 204 {
			b.Fatalf("logout %d: %d %v", i, status, body)
		}
		for k, w := range watches {
			select {
			case <-w.done:
			case <-time.After(10 * time.Second):
				b.Fatalf("logout %d: a socket still open 10 s after it", i)
			}
			if w.code != wire.CloseRevoked {
				b.Fatalf("logout %d: close code %d, want %d", i, w.code, wire.CloseRevoked)
			}
			d := w.at.Sub(start)
			all = append(all, d)
			if k == 1 {
				remote = append(remote, d)
			}
		}
		b.StopTimer()
		for _, ws := range sockets {
			ws.Close()
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, "", all)
	if len(remote) > 0 {
		s := slices.Clone(remote)
		b.ReportMetric(float64(p99(s))/float64(time.Millisecond), "remote-p99-ms")
	}
}
