package clustertest_test

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestAGameNodeDropsTheRevocationsItAppliedOnceTheirTokensExpired(t *testing.T) {
	prefix := clustertest.Prefix(t)
	short := func(c *server.Config) {
		c.AccessTTL, c.PurgeInterval = 2*time.Second, 200*time.Millisecond
	}
	clustertest.Node(t, prefix, "db", short)
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		short(c)
		c.Role = server.RoleGame
	}, servertest.Metrics)
	held := func() float64 { return g.Metric(t, "tickwire_revocations_held", `kind="sessions"`) }
	tok := g.Guest(t, "ann").AccessToken
	if status, body, _ := servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/logout", tok, nil); status != 204 {
		t.Fatalf("logout through the game node: %d %v", status, body)
	}
	loggedOut := time.Now()
	servertest.Eventually(t, 5*time.Second, "the logout applied on the game node", func() bool { return held() == 1 })
	if _, resp, err := servertest.DialRaw(g.WSURL(), servertest.Bearer(tok)); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("the logged-out token on the game node: %v %s, want 401", err, servertest.RespStatus(resp))
	}
	// Held while an access token of the session may live (2 s and the 5 s leeway), then dropped.
	time.Sleep(time.Second)
	if held() != 1 {
		t.Fatal("the revocation was dropped while a token it refuses could still be valid")
	}
	servertest.Eventually(t, 15*time.Second, "the revocation dropped once its tokens expired", func() bool { return held() == 0 })
	t.Logf("the game node held the revocation %v", time.Since(loggedOut).Round(100*time.Millisecond))
}
