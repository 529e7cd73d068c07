package clustertest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster/natstest"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// linkedTo is the NATS server that node id's heartbeat names, as base's admin list shows it.
func linkedTo(t *testing.T, base, admin, id string) string {
	t.Helper()
	status, body, _ := servertest.Call(t, nil, "GET", base+"/api/v1/admin/nodes", admin, nil)
	if status != 200 {
		return ""
	}
	for _, n := range body["nodes"].([]any) {
		if m := n.(map[string]any); m["id"] == id {
			s, _ := m["nats"].(string)
			return s
		}
	}
	return ""
}

// TestTickwireCarriesOnWhenANATSServerIsKilled runs a database node and a game node on a NATS
// cluster of its own, in child processes, and SIGKILLs the NATS server the game node is
// linked to: the node moves to another, and logins through it, the lists, a logout's
// fan-out and a round's result all keep working.
func TestTickwireCarriesOnWhenANATSServerIsKilled(t *testing.T) {
	nc := natstest.StartProcessesT(t)
	urls := strings.Split(nc.URLs(), ",")
	prefix := clustertest.Prefix(t)
	own := func(c *server.Config) { c.NATS, c.GuestAddrBurst = urls, 1000 }
	db := clustertest.Node(t, prefix, "db", own, servertest.LogText)
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		own(c)
		c.Role, c.RoundLength, c.RoundPause = server.RoleGame, time.Second, time.Minute
	}, servertest.LogText)
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range []*servertest.Server{db, g} {
				for _, l := range strings.Split(n.Log.String(), "\n") {
					if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "NATS") || strings.Contains(l, "directory") || strings.Contains(l, "revocation") {
						t.Log(l)
					}
				}
			}
		}
	})
	admin := db.Mint(t, db.Guest(t, "boss").AccessToken, time.Now(), time.Hour, "play admin")
	var before string
	servertest.Eventually(t, 10*time.Second, "game-1 heartbeats the NATS server it is on", func() bool {
		before = linkedTo(t, db.URL(), admin, "game-1")
		return before != ""
	})
	i := slices.Index(urls, before)
	if i < 0 {
		t.Fatalf("game-1 is on %q, not one of %v", before, urls)
	}

	nc.Kill(i)
	killed := time.Now()
	since := func() time.Duration { return time.Since(killed).Round(10 * time.Millisecond) }
	servertest.Eventually(t, 20*time.Second, "game-1 linked to another NATS server", func() bool {
		now := linkedTo(t, db.URL(), admin, "game-1")
		return now != "" && now != before
	})
	t.Logf("game-1 moved from %s to another NATS server %v after the kill", before, since())
	servertest.Eventually(t, 20*time.Second, "a guest sign-in through game-1", func() bool {
		status, _, _ := servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/guest", "", map[string]string{"name": "probe"})
		return status == 200 || status == 201
	})
	t.Logf("sign-in through game-1 works %v after the kill", since())
	servertest.Eventually(t, 20*time.Second, "game-1 ready", func() bool {
		status, _, _ := servertest.Call(t, nil, "GET", g.URL()+"/readyz", "", nil)
		return status == 200
	})

	// The lists: a lobby made on game-1 now is listed on the database node.
	host(t, g.URL(), "hal", wire.Create{Name: "after the kill", MaxPlayers: 1})
	tok := db.Guest(t, "dan").AccessToken
	servertest.Eventually(t, 10*time.Second, "game-1's new lobby listed on the database node", func() bool {
		return listed(t, db.URL(), tok)["after the kill"] == "game-1"
	})
	t.Logf("a new lobby of game-1 is listed on the database node %v after the kill", since())

	// A logout on the database node closes the session's socket on game-1.
	cat := g.Guest(t, "cat")
	w := watchClose(g.Dial(t, cat.AccessToken))
	if status, body, _ := servertest.Call(t, nil, "POST", db.URL()+"/api/v1/auth/logout", cat.AccessToken, nil); status != 204 {
		t.Fatalf("logout: %d %v", status, body)
	}
	answered := time.Now()
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
		t.Fatal("the logged-out session's socket on game-1 is open 2 s after the answer")
	}
	if w.code != wire.CloseRevoked {
		t.Fatalf("close code %d, want %d", w.code, wire.CloseRevoked)
	}
	t.Logf("logout fan-out to game-1 took %v", w.at.Sub(answered).Round(time.Millisecond))

	// A round played on game-1 reaches the database.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var first *goclient.Conn
	for _, name := range []string{"ann", "bob"} {
		c, err := goclient.Dial(ctx, goclient.WebSocketURL(g.URL()), g.Guest(t, name).AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Join(ctx, wire.Join{Quick: true}); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = c
		}
	}
	for over := false; !over; {
		select {
		case e := <-first.Events():
			over = e.Kind == wire.EventRoundOver
		case <-ctx.Done():
			t.Fatal("no round_over within 30 s")
		}
	}
	ended := time.Now()
	servertest.Eventually(t, 15*time.Second, "the round on the leaderboard", func() bool {
		status, body, _ := servertest.Call(t, nil, "GET", db.URL()+"/api/v1/leaderboard", "", nil)
		leaders, _ := body["leaders"].([]any)
		return status == 200 && len(leaders) == 2
	})
	t.Logf("a round that ended on game-1 was recorded %v after its end", time.Since(ended).Round(10*time.Millisecond))
}
