package clustertest_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster/natstest"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// sharedPair starts two database nodes on one data folder, so that each verifies the other's
// tokens, with the folder's own sync off: whatever one learns of the other's logouts and bans
// comes through NATS. mutateB adjusts the second.
func sharedPair(t *testing.T, mutateB func(*server.Config), natsB string) (*servertest.Server, *servertest.Server) {
	t.Helper()
	prefix := clustertest.Prefix(t)
	a := clustertest.Node(t, prefix, "node-a", func(c *server.Config) { c.SyncInterval = 0; c.GuestAddrBurst = 1000 })
	b := clustertest.Node(t, prefix, "node-b", func(c *server.Config) {
		c.Data, c.SyncInterval = a.Config.Data, 0
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

func TestLogoutAndBanCloseSocketsOnEveryNode(t *testing.T) {
	a, b := sharedPair(t, nil, "")
	const accounts = 50
	type player struct {
		tok    string
		onA    *closeWatch
		onB    *closeWatch
		wsA    *websocket.Conn
		wsB    *websocket.Conn
		answer time.Time
	}
	ps := make([]*player, accounts)
	for i := range ps {
		tok := a.Guest(t, "p"+string(rune('a'+i%26))+string(rune('a'+i/26))).AccessToken
		p := &player{tok: tok, wsA: a.Dial(t, tok), wsB: b.Dial(t, tok)}
		p.onA, p.onB = watchClose(p.wsA), watchClose(p.wsB)
		ps[i] = p
	}
	// Half log out on one node, half on the other.
	var mu sync.Mutex
	var took []time.Duration
	for i, p := range ps {
		at := a
		if i%2 == 1 {
			at = b
		}
		status, body, _ := servertest.Call(t, nil, "POST", at.URL()+"/api/v1/auth/logout", p.tok, nil)
		if status != 204 {
			t.Fatalf("logout: %d %v", status, body)
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
			mu.Lock()
			took = append(took, max(0, w.at.Sub(p.answer)))
			mu.Unlock()
		}
	}
	t.Logf("logout fan-out over %d sockets on two nodes: p99 %v, max %v", len(took), p99(took), slices.Max(took))
	if p := p99(took); p > 200*time.Millisecond {
		t.Errorf("logout fan-out p99 %v, want under 200 ms", p)
	}
	// The token is refused on the node that did not log it out.
	if _, resp, err := servertest.DialRaw(b.WSURL(), servertest.Bearer(ps[0].tok)); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("a logged-out token on the other node: %v %s, want 401", err, servertest.RespStatus(resp))
	}

	// A ban on one node closes the account's sockets on both.
	victim := a.Guest(t, "victim")
	admin := a.Mint(t, a.Guest(t, "boss").AccessToken, time.Now(), time.Minute, "play admin")
	wA, wB := watchClose(a.Dial(t, victim.AccessToken)), watchClose(b.Dial(t, victim.AccessToken))
	name := servertest.Claims(t, victim.AccessToken).Name
	status, body, _ := servertest.Call(t, nil, "POST", b.URL()+"/api/v1/admin/accounts/"+name+"/ban", admin, nil)
	if status != 204 {
		t.Fatalf("ban: %d %v", status, body)
	}
	answered := time.Now()
	for _, w := range []*closeWatch{wA, wB} {
		select {
		case <-w.done:
		case <-time.After(time.Second):
			t.Fatal("a banned account's socket is still open 1 s after the answer")
		}
		if w.code != wire.CloseRevoked {
			t.Fatalf("ban close code %d", w.code)
		}
	}
	t.Logf("ban fan-out: %v", time.Since(answered))
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
