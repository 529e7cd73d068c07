package clustertest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// failoverCluster is a database node and game node A in process and game node B, the one to
// be killed, as a child process, with a public lobby on B that A's quick joins are moved to.
type failoverCluster struct {
	db, a  *servertest.Server
	b      *clustertest.Process
	doomed wire.Joined
	tok    string // a guest's access token, for the lists
}

func startFailoverCluster(t *testing.T) *failoverCluster {
	t.Helper()
	prefix := clustertest.Prefix(t)
	f := &failoverCluster{}
	f.db = clustertest.Node(t, prefix, "db", func(c *server.Config) { c.GuestAddrBurst = 1000 })
	f.a = clustertest.Node(t, prefix, "node-a", func(c *server.Config) { c.Role = server.RoleGame })
	f.b = clustertest.StartProcess(t, prefix, "--node-id", "node-b", "--role", "game")
	_, f.doomed = host(t, f.b.URL, "host", wire.Create{Name: "doomed", MaxPlayers: 16})
	f.tok = f.db.Guest(t, "lister").AccessToken
	servertest.Eventually(t, 5*time.Second, "node-b's lobby listed on node-a", func() bool {
		return listed(t, f.a.URL(), f.tok)["doomed"] == "node-b"
	})
	return f
}

// failoverPlayer is an SDK connection that notes when it is seen playing again: a snapshot in a
// lobby other than the one it lost.
type failoverPlayer struct {
	c      *goclient.Conn
	lost   string
	status chan goclient.Status

	mu      sync.Mutex
	killed  time.Time // when the lobby's node was killed; zero before
	again   time.Time // the first snapshot after that in another lobby
	againIn string    // that lobby
}

func (p *failoverPlayer) onSnapshot(*goclient.RawSnapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed.IsZero() || !p.again.IsZero() {
		return
	}
	if id, _ := p.c.Lobby(); id != "" && id != p.lost {
		p.again, p.againIn = time.Now(), id
	}
}

func (p *failoverPlayer) onStatus(s goclient.Status) {
	select {
	case p.status <- s:
	default:
	}
}

// connectPlayer connects a new guest through base with the SDK's default backoff.
func connectPlayer(t *testing.T, ctx context.Context, base, name string) *failoverPlayer {
	t.Helper()
	api := goclient.New(base)
	tok, err := api.Guest(ctx, name)
	if err != nil {
		t.Fatalf("guest %s: %v", name, err)
	}
	p := &failoverPlayer{status: make(chan goclient.Status, 64)}
	p.c, err = api.Connect(ctx, tok, goclient.Options{OnSnapshot: p.onSnapshot, OnStatus: p.onStatus})
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	t.Cleanup(func() { p.c.Close() })
	return p
}

func TestQuickJoinedPlayersOfAKilledNodePlayAgainElsewhere(t *testing.T) {
	f := startFailoverCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 6
	players := make([]*failoverPlayer, n)
	for i := range players {
		p := connectPlayer(t, ctx, f.a.URL(), fmt.Sprintf("p%d", i))
		j, err := p.c.QuickJoin(ctx, "")
		if err != nil {
			t.Fatalf("player %d's quick join: %v", i, err)
		}
		if j.Lobby.ID != f.doomed.Lobby.ID {
			t.Fatalf("player %d quick-joined %s, want node-b's %s", i, j.Lobby.ID, f.doomed.Lobby.ID)
		}
		p.lost = j.Lobby.ID
		players[i] = p
	}

	f.b.Kill()
	killed := time.Now()
	for _, p := range players {
		p.mu.Lock()
		p.killed = killed
		p.mu.Unlock()
	}
	// The killed node's lobby leaves the lists within the contract's 10 s.
	servertest.Eventually(t, 10*time.Second, "node-b's lobby gone within 10 s of SIGKILL", func() bool {
		for _, base := range []string{f.a.URL(), f.db.URL()} {
			if _, ok := listedBy(t, base, f.tok, "id")[f.doomed.Lobby.ID]; ok {
				return false
			}
		}
		return true
	})
	t.Logf("the killed node's lobby left the lists after %v", time.Since(killed).Round(10*time.Millisecond))
	// Well within the 10 s the directory takes: each node asks NATS before it sends a player to
	// another, so the players' own node places them as soon as they are back on it.
	servertest.Eventually(t, 10*time.Second, "every player playing again within 10 s of SIGKILL", func() bool {
		for _, p := range players {
			p.mu.Lock()
			again := p.again
			p.mu.Unlock()
			if again.IsZero() {
				return false
			}
		}
		return true
	})
	var took []time.Duration
	for i, p := range players {
		took = append(took, p.again.Sub(killed))
		if id, _ := p.c.Lobby(); id != p.againIn {
			t.Fatalf("player %d plays in %s but is in %q", i, p.againIn, id)
		}
	}
	slices.Sort(took)
	t.Logf("quick-joined players of a killed node playing again after: median %v, max %v over %d",
		took[n/2].Round(time.Millisecond), took[n-1].Round(time.Millisecond), n)

	// They play in lobbies of live nodes, told that they were placed again.
	nodes := listedBy(t, f.db.URL(), f.tok, "id")
	for i, p := range players {
		if node := nodes[p.againIn]; node != "db" && node != "node-a" {
			t.Fatalf("player %d plays in %s, listed on node %q: want a live node (%v)", i, p.againIn, node, nodes)
		}
	}
	for i, p := range players {
		if got := drainFor(p.status, goclient.StatusPlaced); !got {
			t.Fatalf("player %d was not told it was placed again", i)
		}
	}
}

func TestAPlayerWhoJoinedAKilledNodesLobbyByIDIsToldItIsGone(t *testing.T) {
	f := startFailoverCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := connectPlayer(t, ctx, f.a.URL(), "ann")
	if _, err := p.c.Join(ctx, wire.Join{Lobby: f.doomed.Lobby.ID}); err != nil {
		t.Fatal(err)
	}

	f.b.Kill()
	killed := time.Now()
	var fellBack bool
	deadline := time.After(40 * time.Second)
	for {
		select {
		case s := <-p.status:
			switch s.Kind {
			case goclient.StatusFellBack:
				fellBack = true
			case goclient.StatusPlaced, goclient.StatusRejoined:
				t.Fatalf("a player who joined by id was %s", s.Kind)
			case goclient.StatusRejoinFailed:
				if !errors.Is(s.Err, goclient.ErrLobbyGone) {
					t.Fatalf("rejoin failed with %v, want ErrLobbyGone", s.Err)
				}
				if !fellBack {
					t.Fatal("told the lobby is gone before falling back to node-a")
				}
				t.Logf("an id-joined player learned its lobby was gone %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
				if id, _ := p.c.Lobby(); id != "" {
					t.Fatalf("still in %s", id)
				}
				// The connection lives on, on node-a, and can play again.
				if _, err := p.c.QuickJoin(ctx, ""); err != nil {
					t.Fatalf("quick join after the lobby was gone: %v", err)
				}
				return
			}
		case <-p.c.Done():
			t.Fatalf("the connection ended: %v", p.c.Err())
		case <-deadline:
			t.Fatal("not told within 40 s that the lobby is gone")
		}
	}
}

func TestJoinsOfAKilledNodesLobbyAreNotMovedThere(t *testing.T) {
	f := startFailoverCluster(t)
	ws := f.a.Dial(t, f.a.Guest(t, "ann").AccessToken)
	var e wire.Error
	servertest.WriteEnvelope(t, ws, wire.TypeJoin, 1, wire.Join{Lobby: f.doomed.Lobby.ID, Spectate: true})
	if env := servertest.ReadEnvelope(t, ws); env.T != wire.TypeError {
		t.Fatalf("a join of node-b's lobby from node-a answered %s, want moved", env.T)
	} else if servertest.DecodePayload(t, env, &e); e.Code != wire.CodeMoved {
		t.Fatalf("a join of node-b's lobby from node-a answered %s, want moved", e.Code)
	}

	f.b.Kill()
	killed := time.Now()
	// By id: not found as soon as NATS has let go of node-b, although the directory may list
	// its lobby for seconds yet.
	id := uint64(2)
	servertest.Eventually(t, 2*time.Second, "a join by id of the killed node's lobby answered not_found", func() bool {
		id++
		servertest.WriteEnvelope(t, ws, wire.TypeJoin, id, wire.Join{Lobby: f.doomed.Lobby.ID, Spectate: true})
		env := servertest.ReadEnvelope(t, ws)
		e = wire.Error{}
		servertest.DecodePayload(t, env, &e)
		return env.T == wire.TypeError && e.Code == wire.CodeNotFound
	})
	_, listed := listedBy(t, f.a.URL(), f.tok, "id")[f.doomed.Lobby.ID]
	t.Logf("a join by id answered not_found %v after SIGKILL (the lobby still listed: %v)", time.Since(killed).Round(time.Millisecond), listed)
	// Quick: a lobby of node-a's own, not moved to node-b's.
	id++
	servertest.WriteEnvelope(t, ws, wire.TypeJoin, id, wire.Join{Quick: true})
	if env := servertest.ReadEnvelope(t, ws); env.T != wire.TypeJoined {
		servertest.DecodePayload(t, env, &e)
		t.Fatalf("a quick join after node-b was killed answered %s %+v, want joined on node-a", env.T, e)
	}
}

// drainFor reports whether a status of kind k is among those waiting in ch.
func drainFor(ch chan goclient.Status, k goclient.StatusKind) bool {
	for {
		select {
		case s := <-ch:
			if s.Kind == k {
				return true
			}
		default:
			return false
		}
	}
}
