package clustertest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// openNode joins the shared NATS cluster under prefix as a bare cluster node named id.
func openNode(t *testing.T, ctx context.Context, prefix, id string) (*cluster.Node, error) {
	t.Helper()
	n, err := cluster.Open(ctx, cluster.Config{URLs: strings.Split(clustertest.NATS.URLs(), ","), NodeID: id,
		PublicURL: "http://" + id + ".invalid", Prefix: prefix, Grace: 10 * time.Second, KeepRevocations: time.Minute,
		Local: func() cluster.Local { return cluster.Local{} }})
	if err == nil {
		t.Cleanup(n.Close)
	}
	return n, err
}

// bucket opens a bucket of the cluster under prefix, as another client of NATS sees it.
func bucket(t *testing.T, prefix, name string) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(clustertest.NATS.URLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(t.Context(), prefix+name)
	if err != nil {
		t.Fatalf("bucket %s: %v", name, err)
	}
	return kv
}

func TestAJoinCodeIsHeldByOneNodeOfTheCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	prefix := clustertest.Prefix(t)
	a, err := openNode(t, ctx, prefix, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := openNode(t, ctx, prefix, "node-b")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := a.ReserveCode(ctx, "ABCDEFGHJK", "l1"); !ok || err != nil {
		t.Fatalf("node-a reserves a free code: %v %v", ok, err)
	}
	if ok, err := b.ReserveCode(ctx, "ABCDEFGHJK", "l2"); ok || err != nil {
		t.Fatalf("node-b reserves the code node-a holds: %v %v, want false", ok, err)
	}
	a.ReleaseCode("ABCDEFGHJK")
	servertest.Eventually(t, 5*time.Second, "node-b reserves the code once node-a released it", func() bool {
		ok, err := b.ReserveCode(ctx, "ABCDEFGHJK", "l2")
		return ok && err == nil
	})

	t.Run("a private lobby's code is reserved until it closes", func(t *testing.T) {
		prefix := clustertest.Prefix(t)
		srv := clustertest.Node(t, prefix, "node-c", func(c *server.Config) { c.LobbyIdleTimeout = time.Second })
		c, j := host(t, srv.URL(), "ann", wire.Create{Name: "secret", Private: true})
		codes := bucket(t, prefix, "tickwire_codes")
		if _, err := codes.Create(ctx, j.Lobby.Code, []byte(`{"node":"elsewhere"}`)); !errors.Is(err, jetstream.ErrKeyExists) {
			t.Fatalf("another node takes the code %q of a private lobby: %v, want ErrKeyExists", j.Lobby.Code, err)
		}
		if e, err := codes.Get(ctx, j.Lobby.Code); err != nil || !strings.Contains(string(e.Value()), `"lobby":"`+j.Lobby.ID+`"`) {
			t.Fatalf("the code's holder: %v %v", e, err)
		}
		if err := c.Leave(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
		servertest.Eventually(t, 15*time.Second, "the code released once its lobby closed", func() bool {
			_, err := codes.Get(ctx, j.Lobby.Code)
			return errors.Is(err, jetstream.ErrKeyNotFound)
		})
	})
}

func TestASecondNodeUnderTheSameIDRefusesToStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prefix := clustertest.Prefix(t)
	if _, err := openNode(t, ctx, prefix, "twin"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := openNode(t, ctx, prefix, "twin")
	if !errors.Is(err, cluster.ErrNodeIDTaken) || !strings.Contains(err.Error(), "--node-id") {
		t.Fatalf("a second node as twin: %v, want ErrNodeIDTaken naming --node-id", err)
	}
	t.Logf("the second node refused after %v: %v", time.Since(start).Round(10*time.Millisecond), err)

	// What a run that died left (an entry nobody puts again) expires, and the node starts.
	nodes := bucket(t, prefix, "tickwire_nodes")
	key := base64.RawURLEncoding.EncodeToString([]byte("ghost"))
	if _, err := nodes.Put(ctx, key, []byte(`{"id":"ghost","public_url":"http://ghost.invalid","run":"dead"}`)); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := openNode(t, ctx, prefix, "ghost"); err != nil {
		t.Fatalf("a node in the place of a dead run: %v", err)
	}
	t.Logf("a node took the id of a dead run after %v", time.Since(start).Round(10*time.Millisecond))
}

// TestASecondDatabaseNodeRefusesToStart: a node started without --role game in a cluster that
// has its database node already refuses to start, naming that node and the flag, and leaves
// the database node serving; a database node started after the first one stopped serves.
func TestASecondDatabaseNodeRefusesToStart(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	cfg := db.Config
	cfg.NodeID, cfg.Data, cfg.Addr = "db-2", t.TempDir(), "127.0.0.1:0"
	cfg.PublicURL = "http://db-2.invalid"
	start := time.Now()
	second, err := server.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		err = second.Serve(t.Context(), nil)
		defer second.Close()
	}
	if !errors.Is(err, cluster.ErrDatabaseTaken) || !strings.Contains(err.Error(), `"db"`) || !strings.Contains(err.Error(), "--role game") {
		t.Fatalf("a second database node: %v, want ErrDatabaseTaken naming db and --role game", err)
	}
	t.Logf("the second database node refused after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if status, _, _ := servertest.Call(t, nil, "GET", db.URL()+"/readyz", "", nil); status != 200 {
		t.Fatalf("the database node after the refusal: readyz %d", status)
	}

	db.Stop()
	third := clustertest.Node(t, prefix, "db-3", nil)
	if status, body, _ := servertest.Call(t, nil, "POST", third.URL()+"/api/v1/auth/guest", "", map[string]string{"username": "ann"}); status != 200 {
		t.Fatalf("a database node after the first stopped: guest %d %v", status, body)
	}
}

// TestAnAnswerTooLargeForNATSFailsAtOnce: a database node's answer over NATS's payload limit
// (1 MB by default) reaches the game node at once as a 500, not after the forwarding timeout.
func TestAnAnswerTooLargeForNATSFailsAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prefix := clustertest.Prefix(t)
	db, err := openNode(t, ctx, prefix, "db")
	if err != nil {
		t.Fatal(err)
	}
	huge := bytes.Repeat([]byte("x"), 2<<20)
	if err := db.ServeDatabase(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(huge) })); err != nil {
		t.Fatal(err)
	}
	g, err := openNode(t, ctx, prefix, "game-1")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	if err := g.Forward(rec, httptest.NewRequest("GET", "/api/v1/huge", nil), cluster.Client{IP: "127.0.0.1"}, nil); err != nil {
		t.Fatalf("forward: %v", err)
	}
	took := time.Since(start)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "could not be forwarded") || took > 5*time.Second {
		t.Fatalf("an answer of 2 MB: %d %.80s after %v, want 500 at once", rec.Code, rec.Body.String(), took)
	}
	t.Logf("an answer too large for NATS came back as a 500 after %v", took.Round(time.Millisecond))
}
