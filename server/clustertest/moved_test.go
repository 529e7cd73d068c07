package clustertest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestJoinsOfALobbyOnAnotherNodeAreMovedAndFollowed(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.GuestAddrBurst = 1000 })
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) { c.Role = server.RoleGame })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, pub := host(t, g.URL(), "host1", wire.Create{Name: "public", MaxPlayers: 8})
	_, priv := host(t, g.URL(), "host2", wire.Create{Name: "private", Private: true})
	tok := db.Guest(t, "cat").AccessToken
	servertest.Eventually(t, 3*time.Second, "game-1's lobbies in the database node's directory", func() bool {
		return listed(t, db.URL(), tok)["public"] == "game-1"
	})

	// The answer itself: moved, the node's socket endpoint, the join as it was sent.
	raw := db.Dial(t, tok)
	sent := wire.Join{Code: priv.Lobby.Code}
	var moved wire.Error
	servertest.Eventually(t, 2*time.Second, "the private lobby in the directory", func() bool {
		servertest.WriteEnvelope(t, raw, wire.TypeJoin, 1, sent)
		env := servertest.ReadEnvelope(t, raw)
		servertest.DecodePayload(t, env, &moved)
		return moved.Code == wire.CodeMoved
	})
	if moved.URL != g.WSURL() || moved.Join == nil || *moved.Join != sent {
		t.Fatalf("moved = %+v, want url %s and join %+v", moved, g.WSURL(), sent)
	}

	// The Go SDK follows it, by id, by code and for quick join.
	join := func(name string, req wire.Join) (wire.Joined, time.Duration) {
		t.Helper()
		c, err := goclient.Dial(ctx, goclient.WebSocketURL(db.URL()), db.Guest(t, name).AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		start := time.Now()
		j, err := c.Join(ctx, req)
		if err != nil {
			t.Fatalf("%s's join %+v from the database node: %v", name, req, err)
		}
		return j, time.Since(start)
	}
	if j, _ := join("ann", wire.Join{Lobby: pub.Lobby.ID}); j.Lobby.ID != pub.Lobby.ID {
		t.Fatalf("join by id landed in %+v", j.Lobby)
	}
	if j, _ := join("bob", wire.Join{Code: priv.Lobby.Code}); j.Lobby.ID != priv.Lobby.ID {
		t.Fatalf("join by code landed in %+v", j.Lobby)
	}
	if j, _ := join("dan", wire.Join{Quick: true}); j.Lobby.ID != pub.Lobby.ID {
		t.Fatalf("quick join with no lobby on its own node landed in %+v, want game-1's", j.Lobby)
	}
	var took []time.Duration
	for i := range 10 {
		_, d := join(fmt.Sprintf("fan%d", i), wire.Join{Lobby: pub.Lobby.ID, Spectate: true})
		took = append(took, d)
	}
	slices.Sort(took)
	t.Logf("cross-node join (the answer moved, a socket to the other node, the join there): p50 %v, max %v over %d", took[len(took)/2], took[len(took)-1], len(took))
}
