package clustertest_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// listed is what a node's GET /api/v1/lobbies shows: lobby name to its node.
func listed(t *testing.T, base, token string) map[string]string {
	t.Helper()
	return listedBy(t, base, token, "name")
}

// listedBy is what a node's GET /api/v1/lobbies shows: each lobby's field key (its "name" or
// its "id") to its node.
func listedBy(t *testing.T, base, token, key string) map[string]string {
	t.Helper()
	status, body, _ := servertest.Call(t, nil, "GET", base+"/api/v1/lobbies", token, nil)
	if status != 200 {
		t.Fatalf("GET /api/v1/lobbies on %s: %d %v", base, status, body)
	}
	out := map[string]string{}
	for _, l := range body["lobbies"].([]any) {
		m := l.(map[string]any)
		node, _ := m["node"].(string)
		out[m[key].(string)] = node
	}
	return out
}

// nodeIDs is what a node's GET /api/v1/admin/nodes shows: the ids, in order.
func nodeIDs(t *testing.T, base, token string) []string {
	t.Helper()
	status, body, _ := servertest.Call(t, nil, "GET", base+"/api/v1/admin/nodes", token, nil)
	if status != 200 {
		t.Fatalf("GET /api/v1/admin/nodes on %s: %d %v", base, status, body)
	}
	var ids []string
	for _, n := range body["nodes"].([]any) {
		m := n.(map[string]any)
		for _, k := range []string{"id", "public_url", "sockets", "lobbies", "heartbeat"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("node %v lacks %q", m, k)
			}
		}
		ids = append(ids, m["id"].(string))
	}
	return ids
}

// host opens a socket to base as a new guest and creates a lobby there.
func host(t *testing.T, base, guest string, create wire.Create) (*goclient.Conn, wire.Joined) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := goclient.New(base).Guest(ctx, guest)
	if err != nil {
		t.Fatalf("guest on %s: %v", base, err)
	}
	c, err := goclient.Dial(ctx, goclient.WebSocketURL(base), tok.AccessToken)
	if err != nil {
		t.Fatalf("dial %s: %v", base, err)
	}
	t.Cleanup(func() { c.Close() })
	j, err := c.Create(ctx, create)
	if err != nil {
		t.Fatalf("create on %s: %v", base, err)
	}
	return c, j
}

func TestLobbiesOfEveryNodeAreListedOnEach(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	a := clustertest.Node(t, prefix, "node-a", func(c *server.Config) { c.Role = server.RoleGame })
	b := clustertest.Node(t, prefix, "node-b", func(c *server.Config) { c.Role = server.RoleGame })
	host(t, db.URL(), "zed", wire.Create{Name: "omega"})
	host(t, a.URL(), "ann", wire.Create{Name: "alpha"})
	host(t, b.URL(), "bob", wire.Create{Name: "beta"})
	host(t, b.URL(), "cat", wire.Create{Name: "hidden", Private: true})
	tokA, tokB, tokDB := a.Guest(t, "dan").AccessToken, b.Guest(t, "eve").AccessToken, db.Guest(t, "fay").AccessToken
	want := map[string]string{"alpha": "node-a", "beta": "node-b", "omega": "db"}
	for _, n := range []struct {
		srv *servertest.Server
		tok string
	}{{a, tokA}, {b, tokB}, {db, tokDB}} {
		servertest.Eventually(t, 3*time.Second, "both lobbies listed on "+n.srv.URL(), func() bool {
			got := listed(t, n.srv.URL(), n.tok)
			return maps.Equal(got, want)
		})
	}
	got := listed(t, a.URL(), tokA)
	if _, ok := got["hidden"]; ok {
		t.Fatalf("a private lobby of another node is listed: %v", got)
	}

	admin := db.Mint(t, tokA, time.Now(), time.Minute, "play admin")
	if ids := nodeIDs(t, a.URL(), admin); strings.Join(ids, ",") != "db,node-a,node-b" {
		t.Fatalf("admin nodes = %v, want db,node-a,node-b", ids)
	}
	status, _, _ := servertest.Call(t, nil, "GET", a.URL()+"/api/v1/admin/nodes", tokA, nil)
	if status != 403 {
		t.Fatalf("admin nodes without the admin scope: %d, want 403", status)
	}

	// A node that stops cleanly withdraws at once.
	b.Stop()
	servertest.Eventually(t, 2*time.Second, "node-b's lobby gone after its stop", func() bool {
		_, ok := listed(t, a.URL(), tokA)["beta"]
		return !ok
	})
	if ids := nodeIDs(t, a.URL(), admin); strings.Join(ids, ",") != "db,node-a" {
		t.Fatalf("admin nodes after node-b stopped = %v", ids)
	}
}

func TestAKilledNodeLeavesTheListsWithinTenSeconds(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	a := clustertest.Node(t, prefix, "node-a", func(c *server.Config) { c.Role = server.RoleGame })
	b := clustertest.StartProcess(t, prefix, "--node-id", "node-b", "--role", "game")
	tok := a.Guest(t, "ann").AccessToken
	host(t, b.URL, "bob", wire.Create{Name: "doomed"})
	servertest.Eventually(t, 3*time.Second, "node-b's lobby listed on node-a", func() bool {
		return listed(t, a.URL(), tok)["doomed"] == "node-b"
	})
	b.Kill()
	killed := time.Now()
	servertest.Eventually(t, 10*time.Second, "node-b's lobby gone within 10 s of SIGKILL", func() bool {
		_, ok := listed(t, a.URL(), tok)["doomed"]
		return !ok
	})
	t.Logf("a killed node's lobby left the list after %v", time.Since(killed).Round(10*time.Millisecond))
	admin := db.Mint(t, tok, time.Now(), time.Minute, "play admin")
	if ids := nodeIDs(t, a.URL(), admin); strings.Join(ids, ",") != "db,node-a" {
		t.Fatalf("admin nodes after node-b was killed = %v", ids)
	}
}
