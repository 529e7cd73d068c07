package clustertest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
)

// A page served by one node that follows moved opens its socket on another: without
// --origins, every node takes the origins of the cluster's live nodes as its own.
func TestSocketsTakeThePagesOfEveryNodeOfTheCluster(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	g1 := clustertest.Node(t, prefix, "game-1", func(c *server.Config) { c.Role = server.RoleGame })
	g2 := clustertest.Node(t, prefix, "game-2", func(c *server.Config) { c.Role = server.RoleGame })
	strict := clustertest.Node(t, prefix, "game-3", func(c *server.Config) {
		c.Role = server.RoleGame
		c.Origins = []string{"https://play.example"}
	})
	tok := db.Guest(t, "ann").AccessToken
	dial := func(n *servertest.Server, origin string) int {
		t.Helper()
		h := servertest.Bearer(tok)
		h.Set("Origin", origin)
		ws, resp, err := servertest.DialRaw(n.WSURL(), h)
		if err == nil {
			ws.Close()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("dial %s from %s: %v", n.URL(), origin, err)
		}
		return resp.StatusCode
	}
	servertest.Eventually(t, 5*time.Second, "game-2 takes a page of game-1", func() bool {
		return dial(g2, g1.URL()) == http.StatusSwitchingProtocols
	})
	for _, c := range []struct {
		name   string
		node   *servertest.Server
		origin string
		want   int
	}{
		{"its own page", g2, g2.URL(), http.StatusSwitchingProtocols},
		{"the database node's page", g2, db.URL(), http.StatusSwitchingProtocols},
		{"a page of game-2 on the database node", db, g2.URL(), http.StatusSwitchingProtocols},
		{"another site's page", g2, "http://evil.example", http.StatusForbidden},
		{"another port of the host", g2, "http://127.0.0.1:1", http.StatusForbidden},
		{"a page of game-1 under --origins that does not list it", strict, g1.URL(), http.StatusForbidden},
		{"a page --origins lists", strict, "https://play.example", http.StatusSwitchingProtocols},
	} {
		if got := dial(c.node, c.origin); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// The page of one node may connect to the sockets of every node of the cluster: its
// Content-Security-Policy lists them, so that following moved is not blocked.
func TestThePageOfANodeMayConnectToEveryNode(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) { c.Role = server.RoleGame })
	connectSrc := func(n *servertest.Server) []string {
		t.Helper()
		r := n.Client(t, "").Do("GET", "/", "", nil)
		_, src, ok := strings.Cut(r.Header.Get("Content-Security-Policy"), "connect-src ")
		if r.Status != http.StatusOK || !ok {
			t.Fatalf("GET / of %s: %d, CSP %q", n.URL(), r.Status, r.Header.Get("Content-Security-Policy"))
		}
		src, _, _ = strings.Cut(src, ";")
		return strings.Fields(src)
	}
	for _, c := range []struct {
		page, other *servertest.Server
	}{{db, g}, {g, db}} {
		want := servertest.WSURL(c.other.URL())
		want = strings.TrimSuffix(want, "/ws")
		servertest.Eventually(t, 5*time.Second, c.page.URL()+"'s page allowing "+want, func() bool {
			return slices.Contains(connectSrc(c.page), want)
		})
		if src := connectSrc(c.page); !slices.Contains(src, "'self'") || len(src) != 4 {
			t.Errorf("%s's connect-src %q, want 'self', its own ws and wss, and the other node's", c.page.URL(), src)
		}
	}
}

// A request a game node forwards is held to that node's --origins, where the browser is, as
// the node would hold it alone: a page its --origins lists may refresh there, one only the
// database node's lists may not.
func TestTheCrossSiteRuleOfAForwardedRequestIsTheGameNodes(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.Origins = []string{"https://admin.example"} })
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		c.Role = server.RoleGame
		c.Origins = []string{"https://play.example"}
	})
	refresh := func(n *servertest.Server, origin string) servertest.Reply {
		t.Helper()
		tok := n.Guest(t, "")
		return n.Client(t, "").Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken},
			func(r *http.Request) { r.Header.Set("Origin", origin) })
	}
	for _, c := range []struct {
		name   string
		node   *servertest.Server
		origin string
		want   int
	}{
		{"the game node's --origins, through the game node", g, "https://play.example", http.StatusOK},
		{"the database node's --origins, through the game node", g, "https://admin.example", http.StatusForbidden},
		{"the game node's own page", g, g.URL(), http.StatusOK},
		{"the database node's --origins, on the database node", db, "https://admin.example", http.StatusOK},
		{"the game node's --origins, on the database node", db, "https://play.example", http.StatusForbidden},
	} {
		if r := refresh(c.node, c.origin); r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
	}
}
