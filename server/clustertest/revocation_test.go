package clustertest_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster/natstest"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// sharedPair starts a database node and a game node, so that whatever the game node learns of
// the logouts and bans made through the database node comes through NATS. mutateB adjusts the
// game node; natsB, when not empty, is the one NATS address the game node is given.
func sharedPair(t *testing.T, mutateB func(*server.Config), natsB string) (*servertest.Server, *servertest.Server) {
	t.Helper()
	prefix := clustertest.Prefix(t)
	a := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.GuestAddrBurst = 1000 })
	b := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		c.Role = server.RoleGame
		if natsB != "" {
			c.NATS = []string{natsB}
		}
		if mutateB != nil {
			mutateB(c)
		}
	})
	return a, b
}

// closeWatch records when a socket's close frame arrives and with what code.
type closeWatch struct {
	code int
	at   time.Time
	done chan struct{}
}

func watchClose(ws *websocket.Conn) *closeWatch {
	w := &closeWatch{code: -1, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				w.at = time.Now()
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					w.code = ce.Code
				}
				return
			}
		}
	}()
	return w
}

func p99(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[(len(ds)*99+99)/100-1]
}

// TestLogoutAndBanCloseSocketsOnEveryNode: one database node and two game nodes; fifty
// accounts with a socket on each game node log out, half through one game node and half through
// the other, and every socket of theirs closes 4003 on both; a ban through a game node does the
// same for an account's sockets, and so does a refresh token used twice. The times are from each answer to each close frame.
func TestLogoutAndBanCloseSocketsOnEveryNode(t *testing.T) {
	prefix := clustertest.Prefix(t)
	// No refresh grace, so that a refresh token presented twice is reuse at once.
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.GuestAddrBurst, c.RefreshGrace = 1000, 0 })
	game := func(id string) *servertest.Server {
		return clustertest.Node(t, prefix, id, func(c *server.Config) { c.Role = server.RoleGame })
	}
	a, b := game("game-1"), game("game-2")
	const accounts = 50
	type player struct {
		tok    string
		onA    *closeWatch
		onB    *closeWatch
		answer time.Time
	}
	ps := make([]*player, accounts)
	for i := range ps {
		tok := db.Guest(t, "p"+string(rune('a'+i%26))+string(rune('a'+i/26))).AccessToken
		p := &player{tok: tok}
		p.onA, p.onB = watchClose(a.Dial(t, tok)), watchClose(b.Dial(t, tok))
		ps[i] = p
	}
	// Half log out through one game node, half through the other.
	var took []time.Duration
	for i, p := range ps {
		at := a
		if i%2 == 1 {
			at = b
		}
		status, body, _ := servertest.Call(t, nil, "POST", at.URL()+"/api/v1/auth/logout", p.tok, nil)
		if status != 204 {
			t.Fatalf("logout through %s: %d %v", at.URL(), status, body)
		}
		p.answer = time.Now()
		for _, w := range []*closeWatch{p.onA, p.onB} {
			select {
			case <-w.done:
			case <-time.After(time.Second):
				t.Fatalf("a socket of a logged-out session is still open 1 s after the answer")
			}
			if w.code != wire.CloseRevoked {
				t.Fatalf("close code %d, want %d", w.code, wire.CloseRevoked)
			}
			took = append(took, max(0, w.at.Sub(p.answer)))
		}
	}
	t.Logf("logout fan-out over %d sockets on two game nodes: p99 %v, max %v", len(took), p99(took), slices.Max(took))
	if p := p99(took); p > 200*time.Millisecond {
		t.Errorf("logout fan-out p99 %v, want under 200 ms", p)
	}
	// The token is refused on every node, the database node among them.
	for _, n := range []*servertest.Server{a, b, db} {
		if _, resp, err := servertest.DialRaw(n.WSURL(), servertest.Bearer(ps[0].tok)); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("a logged-out token on %s: %v %s, want 401", n.URL(), err, servertest.RespStatus(resp))
		}
	}

	// A ban through a game node closes the account's sockets on both.
	victim := db.Guest(t, "victim")
	admin := db.Mint(t, db.Guest(t, "boss").AccessToken, time.Now(), time.Minute, "play admin")
	wA, wB := watchClose(a.Dial(t, victim.AccessToken)), watchClose(b.Dial(t, victim.AccessToken))
	name := servertest.Claims(t, victim.AccessToken).Name
	status, body, _ := servertest.Call(t, nil, "POST", b.URL()+"/api/v1/admin/accounts/"+name+"/ban", admin, nil)
	if status != 204 {
		t.Fatalf("ban: %d %v", status, body)
	}
	answered := time.Now()
	var banTook []time.Duration
	for _, w := range []*closeWatch{wA, wB} {
		select {
		case <-w.done:
		case <-time.After(time.Second):
			t.Fatal("a banned account's socket is still open 1 s after the answer")
		}
		if w.code != wire.CloseRevoked {
			t.Fatalf("ban close code %d", w.code)
		}
		banTook = append(banTook, max(0, w.at.Sub(answered)))
	}
	t.Logf("ban fan-out to two game nodes: %v", banTook)

	// A refresh token used again, through the other game node, ends the session on both.
	thief := db.Guest(t, "mallory")
	rA, rB := watchClose(a.Dial(t, thief.AccessToken)), watchClose(b.Dial(t, thief.AccessToken))
	if status, body, _ := servertest.Call(t, nil, "POST", a.URL()+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": thief.RefreshToken}); status != 200 {
		t.Fatalf("first refresh through game-1: %d %v", status, body)
	}
	status, body, _ = servertest.Call(t, nil, "POST", b.URL()+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": thief.RefreshToken})
	if status != 401 {
		t.Fatalf("the same refresh token again through game-2: %d %v, want 401", status, body)
	}
	answered = time.Now()
	var reuseTook []time.Duration
	for _, w := range []*closeWatch{rA, rB} {
		select {
		case <-w.done:
		case <-time.After(time.Second):
			t.Fatal("a socket of a session ended by refresh-token reuse is still open 1 s after the answer")
		}
		if w.code != wire.CloseRevoked {
			t.Fatalf("reuse close code %d, want %d", w.code, wire.CloseRevoked)
		}
		reuseTook = append(reuseTook, max(0, w.at.Sub(answered)))
	}
	t.Logf("refresh-reuse fan-out to two game nodes: %v", reuseTook)
}

func TestACutOffNodeRefusesWhatItMissed(t *testing.T) {
	for _, mode := range []string{"reset", "silent"} {
		t.Run("link "+mode, func(t *testing.T) { cutOff(t, mode) })
	}
}

// cutOff cuts a node off NATS, by resetting its link or by silencing it, while another node
// logs out a session with a socket on it.
func cutOff(t *testing.T, mode string) {
	proxy, err := natstest.NewProxy(clustertest.NATS.ClientAddr(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	a, b := sharedPair(t, func(c *server.Config) { c.ClusterGrace = time.Second }, proxy.URL())
	tok := a.Guest(t, "ann").AccessToken
	playing := b.Dial(t, tok)
	ready := func() int {
		status, _, _ := servertest.Call(t, nil, "GET", b.URL()+"/readyz", "", nil)
		return status
	}
	if s := ready(); s != 200 {
		t.Fatalf("readyz before the cut: %d", s)
	}

	if mode == "reset" {
		proxy.Cut()
	} else {
		proxy.Freeze()
	}
	cut := time.Now()
	status, body, _ := servertest.Call(t, nil, "POST", a.URL()+"/api/v1/auth/logout", tok, nil)
	if status != 204 {
		t.Fatalf("logout: %d %v", status, body)
	}
	// The contract allows the grace (1 s here) and 5 s more to notice.
	servertest.Eventually(t, 6*time.Second, "readyz 503 once cut off past the grace", func() bool { return ready() == 503 })
	t.Logf("cut off noticed and refused after %v", time.Since(cut).Round(10*time.Millisecond))
	other := a.Guest(t, "bob").AccessToken
	if _, resp, err := servertest.DialRaw(b.WSURL(), servertest.Bearer(other)); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("a new socket on a cut-off node: %v %s, want 503", err, servertest.RespStatus(resp))
	}
	// The open socket keeps playing: it answers a request.
	servertest.WriteEnvelope(t, playing, wire.TypeCreate, 7, wire.Create{Name: "while cut off"})
	if env := servertest.ReadEnvelope(t, playing); env.T != wire.TypeJoined {
		t.Fatalf("a socket open on the cut-off node answered %s, want joined", env.T)
	}

	proxy.Restore()
	if code, took := servertest.WaitClose(t, playing, 10*time.Second); code != wire.CloseRevoked {
		t.Fatalf("the missed logout closed the socket %d after %v, want %d", code, took, wire.CloseRevoked)
	}
	servertest.Eventually(t, 5*time.Second, "readyz 200 once back", func() bool { return ready() == 200 })
	if _, resp, err := servertest.DialRaw(b.WSURL(), servertest.Bearer(tok)); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("the missed logout's token once back: %v %s, want 401", err, servertest.RespStatus(resp))
	}
	if ws, resp, err := servertest.DialRaw(b.WSURL(), servertest.Bearer(other)); err != nil {
		t.Fatalf("a good token once back: %v %s", err, servertest.RespStatus(resp))
	} else {
		ws.Close()
	}
}
