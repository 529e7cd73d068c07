package clustertest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// kid is the key id in a token's header.
func kid(t *testing.T, token string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func TestAGameNodeServesTheAPIWithoutADatabase(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.SyncInterval = 100 * time.Millisecond })
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) { c.Role = server.RoleGame })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The HTTP API through the game node: sign-up, login, me, refresh, guest, leaderboard.
	api := goclient.New(g.URL())
	if _, err := api.Register(ctx, "ann", "correct horse"); err != nil {
		t.Fatalf("register through the game node: %v", err)
	}
	tok, err := api.Login(ctx, "ann", "correct horse")
	if err != nil {
		t.Fatalf("login through the game node: %v", err)
	}
	status, me, _ := servertest.Call(t, nil, "GET", g.URL()+"/api/v1/me", tok.AccessToken, nil)
	if status != 200 || me["username"] != "ann" {
		t.Fatalf("me through the game node: %d %v", status, me)
	}
	status, body, _ := servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("refresh through the game node: %d %v", status, body)
	}
	if status, body, _ := servertest.Call(t, nil, "GET", g.URL()+"/api/v1/leaderboard", "", nil); status != 200 || body["leaders"] == nil {
		t.Fatalf("leaderboard through the game node: %d %v", status, body)
	}
	guest := g.Guest(t, "bob").AccessToken

	// Sockets on the game node, with tokens it verifies with the published public keys.
	playing := g.Dial(t, guest)
	servertest.WriteEnvelope(t, playing, wire.TypeCreate, 1, wire.Create{Name: "on the game node"})
	if env := servertest.ReadEnvelope(t, playing); env.T != wire.TypeJoined {
		t.Fatalf("create on the game node: %s", env.T)
	}
	cat := db.Guest(t, "cat").AccessToken
	servertest.Eventually(t, 3*time.Second, "the game node's lobby on the database node's list", func() bool {
		return listed(t, db.URL(), cat)["on the game node"] == "game-1"
	})

	// A logout through the game node closes its socket there.
	anns := g.Dial(t, tok.AccessToken)
	if status, body, _ := servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/logout", tok.AccessToken, nil); status != 204 {
		t.Fatalf("logout through the game node: %d %v", status, body)
	}
	if code, _ := servertest.WaitClose(t, anns, time.Second); code != wire.CloseRevoked {
		t.Fatalf("logout closed the socket %d", code)
	}

	// A key rotated on the database node reaches the game node.
	before := kid(t, guest)
	if code, _, errOut := servertest.RunMain(t, "", "keys", "rotate", "--data", db.Config.Data); code != 0 {
		t.Fatalf("keys rotate: %d %s", code, errOut)
	}
	tries := 0
	servertest.Eventually(t, 5*time.Second, "a token of the new key verifies on the game node", func() bool {
		tries++
		fresh := g.Guest(t, fmt.Sprintf("dan%d", tries)).AccessToken
		if kid(t, fresh) == before {
			return false
		}
		ws, _, err := servertest.DialRaw(g.WSURL(), servertest.Bearer(fresh))
		if err != nil {
			return false
		}
		ws.Close()
		return true
	})

	// With the database node down, what needs it answers 503 at once, and sockets play on.
	db.Stop()
	start := time.Now()
	status, body, _ = servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/guest", "", map[string]string{"username": "eve"})
	if status != 503 || body["error"] != wire.CodeUnavailable {
		t.Fatalf("guest with the database node down: %d %v, want 503 unavailable", status, body)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("503 took %v, want at once", took)
	}
	servertest.WriteEnvelope(t, playing, wire.TypeLeave, 2, nil)
	if env := servertest.ReadEnvelope(t, playing); env.T == wire.TypeError {
		t.Fatalf("a socket on the game node with the database node down: %s", env.T)
	}
	if status, _, _ := servertest.Call(t, nil, "GET", g.URL()+"/readyz", "", nil); status != 200 {
		t.Fatalf("the game node's readyz with the database node down: %d", status)
	}
}
