package clustertest_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster/natstest"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// families lists the metric families of a node's /metrics whose names start with prefix.
func families(t *testing.T, s *servertest.Server, prefix string) map[string]bool {
	t.Helper()
	resp, err := http.Get(s.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "# TYPE "); ok && strings.HasPrefix(name, prefix) {
			out[strings.Fields(name)[0]] = true
		}
	}
	return out
}

// clusterFamilies are the series every node of a cluster shows, as HOSTING.md lists them.
var clusterFamilies = []string{
	"tickwire_cluster_connected", "tickwire_cluster_cut_off", "tickwire_cluster_refusing",
	"tickwire_cluster_link_down_seconds", "tickwire_cluster_reconnects_total", "tickwire_cluster_heartbeat_age_seconds",
	"tickwire_cluster_heartbeats_total", "tickwire_cluster_nodes", "tickwire_cluster_remote_lobbies",
	"tickwire_cluster_revocations_applied_total", "tickwire_cluster_revocations_published_total",
	"tickwire_cluster_revocations_unpublished", "tickwire_cluster_revocations_replays_total",
	"tickwire_cluster_revocations_replay_seconds", "tickwire_cluster_revocation_delivery_seconds",
	"tickwire_cluster_forwarded_total", "tickwire_cluster_forward_seconds", "tickwire_cluster_served_total",
	"tickwire_cluster_serving", "tickwire_cluster_moved_total", "tickwire_cluster_results_published_total",
	"tickwire_cluster_results_publish_failed_total", "tickwire_cluster_results_recorded_total",
	"tickwire_cluster_results_record_failed_total", "tickwire_cluster_results_redelivered_total",
	"tickwire_cluster_results_pending",
}

func TestClusterMetricsOnlyWithNATS(t *testing.T) {
	alone := servertest.Start(t, nil, servertest.Metrics)
	if got := families(t, alone, "tickwire_cluster_"); len(got) != 0 {
		t.Fatalf("a single node shows cluster series: %v", got)
	}
	if got := families(t, alone, "tickwire_"); !got["tickwire_sockets_open"] || !got["tickwire_lobby_ticks_total"] {
		t.Fatalf("a single node's own series are missing: %v", got)
	}
	node := clustertest.Node(t, clustertest.Prefix(t), "db", nil, servertest.Metrics)
	got := families(t, node, "tickwire_cluster_")
	for _, f := range clusterFamilies {
		if !got[f] {
			t.Errorf("a node with --nats lacks %s", f)
		}
	}
	if len(got) != len(clusterFamilies) {
		t.Errorf("a node with --nats shows %d cluster families, the list has %d: %v", len(got), len(clusterFamilies), got)
	}
}

func TestClusterMetricsMoveWithTheirEvents(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.GuestAddrBurst = 1000 }, servertest.Metrics)
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		c.Role, c.RoundLength, c.RoundPause = server.RoleGame, time.Second, time.Minute
	}, servertest.Metrics)
	for _, n := range []*servertest.Server{db, g} {
		if v := n.Metric(t, "tickwire_cluster_connected", ""); v != 1 {
			t.Fatalf("connected = %v on a linked node", v)
		}
		if v := n.Metric(t, "tickwire_cluster_cut_off", ""); v != 0 {
			t.Fatalf("cut_off = %v on a linked node", v)
		}
		if v := n.Metric(t, "tickwire_cluster_revocations_replays_total", ""); v != 1 {
			t.Fatalf("replays = %v after the start, want the one at start", v)
		}
		servertest.Eventually(t, 10*time.Second, "both nodes in each directory", func() bool {
			return n.Metric(t, "tickwire_cluster_nodes", "") == 2
		})
		if v := n.Metric(t, "tickwire_cluster_heartbeat_age_seconds", ""); v <= 0 || v > 6 {
			t.Fatalf("heartbeat age %v s on a linked node", v)
		}
	}

	start := time.Now()
	const scrapes = 20
	for range scrapes {
		g.Metric(t, "tickwire_cluster_nodes", "")
	}
	t.Logf("a scrape of the game node's /metrics: %v on average over %d", time.Since(start)/scrapes, scrapes)

	// Requests forwarded by the game node, answered by the database node.
	fwdOK := g.Metric(t, "tickwire_cluster_forwarded_total", `outcome="ok"`)
	served := db.Metric(t, "tickwire_cluster_served_total", `result="ok"`)
	ann := g.Guest(t, "ann")
	if v := g.Metric(t, "tickwire_cluster_forwarded_total", `outcome="ok"`); v != fwdOK+1 {
		t.Fatalf("forwarded ok %v after a guest sign-in through the game node, want %v", v, fwdOK+1)
	}
	if v := db.Metric(t, "tickwire_cluster_served_total", `result="ok"`); v != served+1 {
		t.Fatalf("served ok %v on the database node, want %v", v, served+1)
	}
	if v := g.Metric(t, "tickwire_cluster_forward_seconds_count", ""); v < fwdOK+1 {
		t.Fatalf("forward_seconds_count %v, want at least %v", v, fwdOK+1)
	}

	// A logout on the database node is applied live on the game node.
	playing := g.Dial(t, ann.AccessToken)
	live := g.Metric(t, "tickwire_cluster_revocations_applied_total", `source="live"`)
	delivered := g.Metric(t, "tickwire_cluster_revocation_delivery_seconds_count", "")
	deliverySum := g.Metric(t, "tickwire_cluster_revocation_delivery_seconds_sum", "")
	published := db.Metric(t, "tickwire_cluster_revocations_published_total", "")
	if status, body, _ := servertest.Call(t, nil, "POST", db.URL()+"/api/v1/auth/logout", ann.AccessToken, nil); status != 204 {
		t.Fatalf("logout: %d %v", status, body)
	}
	if code, _ := servertest.WaitClose(t, playing, 2*time.Second); code != wire.CloseRevoked {
		t.Fatalf("the logout closed the game node's socket %d", code)
	}
	servertest.Eventually(t, 5*time.Second, "the logout counted as published on the database node", func() bool {
		return db.Metric(t, "tickwire_cluster_revocations_published_total", "") == published+1
	})
	if v := g.Metric(t, "tickwire_cluster_revocations_applied_total", `source="live"`); v != live+1 {
		t.Fatalf("revocations applied live on the game node %v, want %v", v, live+1)
	}
	if v := g.Metric(t, "tickwire_cluster_revocation_delivery_seconds_count", ""); v != delivered+1 {
		t.Fatalf("revocation deliveries timed on the game node %v, want %v", v, delivered+1)
	}
	took := g.Metric(t, "tickwire_cluster_revocation_delivery_seconds_sum", "") - deliverySum
	t.Logf("the logout's revocation reached the game node %.1f ms after the stream stored it", took*1000)
	if took < 0 || took > 1 {
		t.Fatalf("revocation delivery %v s, want within the contract's second", took)
	}
	if v := g.Metric(t, "tickwire_revocations_held", `kind="sessions"`); v < 1 {
		t.Fatalf("revoked sessions in the game node's index: %v", v)
	}

	// A join on the database node of a lobby on the game node answers moved.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Two seats, taken by its host and the one moved there: the quick joins below make a
	// lobby of their own.
	_, pub := host(t, g.URL(), "host1", wire.Create{Name: "public", MaxPlayers: 2})
	servertest.Eventually(t, 5*time.Second, "the game node's lobby in the database node's directory", func() bool {
		return db.Metric(t, "tickwire_cluster_remote_lobbies", "") == 1
	})
	moved := db.Metric(t, "tickwire_cluster_moved_total", `by="id"`)
	c, err := goclient.Dial(ctx, goclient.WebSocketURL(db.URL()), db.Guest(t, "bob").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Join(ctx, wire.Join{Lobby: pub.Lobby.ID}); err != nil {
		t.Fatalf("join by id from the database node: %v", err)
	}
	if v := db.Metric(t, "tickwire_cluster_moved_total", `by="id"`); v != moved+1 {
		t.Fatalf("moved by id %v on the database node, want %v", v, moved+1)
	}

	// A round that ends on the game node is published there and recorded on the database node.
	recorded := db.Metric(t, "tickwire_cluster_results_recorded_total", "")
	for _, name := range []string{"cat", "dan"} {
		p, err := goclient.Dial(ctx, goclient.WebSocketURL(g.URL()), g.Guest(t, name).AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		if _, err := p.Join(ctx, wire.Join{Quick: true}); err != nil {
			t.Fatal(err)
		}
	}
	servertest.Eventually(t, 15*time.Second, "a round published by the game node", func() bool {
		return g.Metric(t, "tickwire_cluster_results_published_total", "") >= 1
	})
	servertest.Eventually(t, 15*time.Second, "the round recorded by the database node", func() bool {
		return db.Metric(t, "tickwire_cluster_results_recorded_total", "") >= recorded+1
	})
	if v := g.Metric(t, "tickwire_cluster_results_publish_failed_total", ""); v != 0 {
		t.Fatalf("results lost on the game node: %v", v)
	}
	if v := db.Metric(t, "tickwire_cluster_results_pending", ""); v != 0 {
		t.Fatalf("results pending once recorded: %v", v)
	}

	// With the database node down, a forwarded request counts unavailable.
	db.Stop()
	unavailable := g.Metric(t, "tickwire_cluster_forwarded_total", `outcome="unavailable"`)
	if status, _, _ := servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/guest", "", map[string]string{"name": "eve"}); status != 503 {
		t.Fatalf("guest sign-in with the database node down: %d, want 503", status)
	}
	if v := g.Metric(t, "tickwire_cluster_forwarded_total", `outcome="unavailable"`); v != unavailable+1 {
		t.Fatalf("forwarded unavailable %v, want %v", v, unavailable+1)
	}
}

func TestClusterMetricsOfACutOffNode(t *testing.T) {
	for _, mode := range []string{"reset", "silent"} {
		t.Run("link "+mode, func(t *testing.T) { cutOffMetrics(t, mode) })
	}
}

// cutOffMetrics reads the metrics of a node cut off from NATS, by a reset or by silence,
// while another node logs out a session with a socket on it, and once it is back.
func cutOffMetrics(t *testing.T, mode string) {
	proxy, err := natstest.NewProxy(clustertest.NATS.ClientAddr(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	a, b := sharedPair(t, func(c *server.Config) { c.ClusterGrace = time.Second; c.MetricsAddr = "127.0.0.1:0" }, proxy.URL())
	tok := a.Guest(t, "ann").AccessToken
	playing := b.Dial(t, tok)
	replayed := b.Metric(t, "tickwire_cluster_revocations_applied_total", `source="replay"`)
	replays := b.Metric(t, "tickwire_cluster_revocations_replays_total", "")
	reconnects := b.Metric(t, "tickwire_cluster_reconnects_total", "")

	if mode == "reset" {
		proxy.Cut()
	} else {
		proxy.Freeze()
	}
	cut := time.Now()
	if status, body, _ := servertest.Call(t, nil, "POST", a.URL()+"/api/v1/auth/logout", tok, nil); status != 204 {
		t.Fatalf("logout: %d %v", status, body)
	}
	// The contract's bound (the grace and 5 s) is TestACutOffNodeRefusesWhatItMissed's; this
	// one only needs the gauge to move.
	servertest.Eventually(t, 15*time.Second, "cut_off 1 past the grace", func() bool {
		return b.Metric(t, "tickwire_cluster_cut_off", "") == 1
	})
	t.Logf("cut_off 1 after %v (grace 1 s); heartbeats failed meanwhile: %v", time.Since(cut).Round(10*time.Millisecond),
		b.Metric(t, "tickwire_cluster_heartbeats_total", `result="failed"`))
	if time.Since(cut) < time.Second {
		t.Fatalf("cut_off 1 after %v, within the grace", time.Since(cut))
	}
	for name, want := range map[string]float64{"tickwire_cluster_connected": 0, "tickwire_cluster_refusing": 1} {
		if v := b.Metric(t, name, ""); v != want {
			t.Fatalf("%s = %v while cut off, want %v", name, v, want)
		}
	}
	if v := b.Metric(t, "tickwire_cluster_link_down_seconds", ""); v < 1 {
		t.Fatalf("link_down_seconds %v past the grace of 1 s", v)
	}

	proxy.Restore()
	if code, _ := servertest.WaitClose(t, playing, 10*time.Second); code != wire.CloseRevoked {
		t.Fatalf("the missed logout closed the socket %d", code)
	}
	servertest.Eventually(t, 10*time.Second, "cut_off 0 and caught up once back", func() bool {
		return b.Metric(t, "tickwire_cluster_cut_off", "") == 0 && b.Metric(t, "tickwire_cluster_refusing", "") == 0
	})
	if v := b.Metric(t, "tickwire_cluster_connected", ""); v != 1 {
		t.Fatalf("connected %v once back", v)
	}
	if v := b.Metric(t, "tickwire_cluster_reconnects_total", ""); v < reconnects+1 {
		t.Fatalf("reconnects %v, want at least %v", v, reconnects+1)
	}
	if v := b.Metric(t, "tickwire_cluster_revocations_replays_total", ""); v < replays+1 {
		t.Fatalf("replays %v, want at least %v", v, replays+1)
	}
	if v := b.Metric(t, "tickwire_cluster_revocations_applied_total", `source="replay"`); v != replayed+1 {
		t.Fatalf("revocations replayed on the node that was cut off: %v, want %v", v, replayed+1)
	}
	t.Logf("the catch-up after the return took %v s", b.Metric(t, "tickwire_cluster_revocations_replay_seconds", ""))
}

func TestClusterMetricsOfAResultDeliveredAgain(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil, servertest.Metrics)
	db.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, m, b := resultOfTwo(t)
	if _, err := js.Publish(ctx, prefix+"tickwire.results", b, jetstream.WithMsgID(m.Key)); err != nil {
		t.Fatal(err)
	}
	// The database node's consumer takes the result and gives it back, as a database node
	// whose commit failed does.
	cons, err := js.Consumer(ctx, prefix+"tickwire_results", "database")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	taken := 0
	for msg := range batch.Messages() {
		if err := msg.Nak(); err != nil {
			t.Fatal(err)
		}
		taken++
	}
	if taken != 1 {
		t.Fatalf("took %d results, want 1", taken)
	}
	db.Restart()
	servertest.Eventually(t, 15*time.Second, "the result delivered again and recorded", func() bool {
		return db.Metric(t, "tickwire_cluster_results_recorded_total", "") == 1
	})
	if v := db.Metric(t, "tickwire_cluster_results_redelivered_total", ""); v != 1 {
		t.Fatalf("redelivered %v, want 1", v)
	}
	if v := db.Metric(t, "tickwire_cluster_results_pending", ""); v != 0 {
		t.Fatalf("pending %v once recorded", v)
	}
	if v := db.Metric(t, "tickwire_cluster_results_record_failed_total", ""); v != 0 {
		t.Fatalf("record failed %v", v)
	}
}
