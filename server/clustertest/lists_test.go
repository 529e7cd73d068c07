package clustertest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// manyLobbies is how many lobbies the far node of the directory tests and benchmarks runs.
const manyLobbies = 10000

// farNode joins the cluster under prefix as a node named far that runs n public lobbies of
// the arena, all with room, one of them fuller than every other ("Lobby 07777", 6 of 8).
func farNode(t testing.TB, ctx context.Context, prefix string, n int) *cluster.Node {
	t.Helper()
	lobbies := make([]cluster.Lobby, n)
	for i := range lobbies {
		players := i % 5
		if i == 7777 {
			players = 6
		}
		lobbies[i] = cluster.Lobby{ID: fmt.Sprintf("lfar%05d", i), Name: fmt.Sprintf("Lobby %05d", i), Game: arena.Name,
			Players: players, MaxPlayers: 8, State: "waiting", TickRate: 20}
	}
	far, err := cluster.Open(ctx, cluster.Config{URLs: strings.Split(clustertest.NATS.URLs(), ","), NodeID: "far",
		PublicURL: "http://far.invalid", Prefix: prefix, Grace: 10 * time.Second, KeepRevocations: time.Minute,
		Local: func() cluster.Local { return cluster.Local{Lobbies: lobbies} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(far.Close)
	return far
}

// lobbyCount is how many lobbies a node's GET /api/v1/lobbies shows, and the first's name.
func lobbyCount(t testing.TB, base, token string) (int, string) {
	t.Helper()
	status, body, _ := servertest.Call(t, nil, "GET", base+"/api/v1/lobbies", token, nil)
	if status != 200 {
		t.Fatalf("GET /api/v1/lobbies: %d %v", status, body)
	}
	list, _ := body["lobbies"].([]any)
	if len(list) == 0 {
		return 0, ""
	}
	return len(list), list[0].(map[string]any)["name"].(string)
}

// nearWithMany starts a node beside a far node of manyLobbies lobbies, and waits until it
// has heard of them all.
func nearWithMany(t testing.TB, listMax int) (*servertest.Server, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := clustertest.Prefix(t)
	start := time.Now()
	farNode(t, ctx, prefix, manyLobbies)
	near := clustertest.Node(t, prefix, "near", func(c *server.Config) {
		c.LobbyListMax = listMax
		c.GuestAddrBurst, c.MaxLobbiesPerAddr, c.LobbyAddrBurst = 1000, 1000, 1000
		c.MsgRate, c.MsgBurst = 1e6, 1<<20 // BenchmarkClusterLobbies quick-joins on one socket as fast as it can
	})
	tok := near.Guest(t, "ann").AccessToken
	admin := near.Mint(t, tok, time.Now(), time.Hour, "play admin")
	servertest.Eventually(t, time.Minute, "the far node's lobbies heard of", func() bool {
		status, body, _ := servertest.Call(t, nil, "GET", near.URL()+"/api/v1/admin/nodes", admin, nil)
		if status != 200 {
			return false
		}
		for _, n := range body["nodes"].([]any) {
			if m := n.(map[string]any); m["id"] == "far" && m["lobbies"] == float64(manyLobbies) {
				n, _ := lobbyCount(t, near.URL(), tok)
				return n == listMax
			}
		}
		return false
	})
	t.Logf("%d lobbies in the directory after %v", manyLobbies, time.Since(start).Round(time.Millisecond))
	return near, tok
}

func TestListsAndQuickJoinReadTheDirectoryBounded(t *testing.T) {
	near, tok := nearWithMany(t, 50)
	host(t, near.URL(), "bob", wire.Create{Name: "Lobby 00000a", MaxPlayers: 1}) // full: bob alone
	servertest.Eventually(t, 2*time.Second, "near's own lobby among the first", func() bool {
		status, body, _ := servertest.Call(t, nil, "GET", near.URL()+"/api/v1/lobbies", tok, nil)
		list, _ := body["lobbies"].([]any)
		if status != 200 || len(list) != 50 {
			return false
		}
		for i, want := range []string{"Lobby 00000", "Lobby 00000a", "Lobby 00001"} {
			if list[i].(map[string]any)["name"] != want {
				return false
			}
		}
		return list[1].(map[string]any)["node"] == "near" && list[49].(map[string]any)["name"] == "Lobby 00048"
	})

	// Quick join: near's one lobby is full, so the fullest of the far node's ten thousand.
	ws := near.Dial(t, tok)
	start := time.Now()
	servertest.WriteEnvelope(t, ws, wire.TypeJoin, 1, wire.Join{Quick: true})
	var moved wire.Error
	servertest.DecodePayload(t, servertest.ReadEnvelope(t, ws), &moved)
	t.Logf("a quick join among %d lobbies answered in %v", manyLobbies, time.Since(start))
	if moved.Code != wire.CodeMoved || moved.Message != "the lobby is on node far" {
		t.Fatalf("quick join answered %+v, want moved to far", moved)
	}

	// A lobby with room on near, beyond the list's cap, keeps the quick join on near.
	for i := range 50 {
		host(t, near.URL(), fmt.Sprintf("own%d", i), wire.Create{Name: fmt.Sprintf("Lobby 00000b%02d", i), MaxPlayers: 1})
	}
	host(t, near.URL(), "cat", wire.Create{Name: "zz roomy", MaxPlayers: 8})
	c := near.Dial(t, near.Guest(t, "dan").AccessToken)
	servertest.WriteEnvelope(t, c, wire.TypeJoin, 1, wire.Join{Quick: true})
	var joined wire.Joined
	env := servertest.ReadEnvelope(t, c)
	servertest.DecodePayload(t, env, &joined)
	if env.T != wire.TypeJoined || joined.Lobby.Name != "zz roomy" {
		t.Fatalf("quick join with room on its own node: %s %+v, want joined zz roomy", env.T, joined)
	}
}
