package servertest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestServerLifecycle: a started server takes guests and sockets, counts them in /metrics,
// closes them 1001 on Stop, and after Restart answers on the same address from the same
// data folder, where an account made before the restart still signs in.
func TestServerLifecycle(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.MaxConns = 5 }, servertest.Metrics, servertest.LogText)
	if srv.Config.MaxConns != 5 || srv.MetricsURL() == "" {
		t.Fatalf("mutator or option not applied: MaxConns %d, metrics %q", srv.Config.MaxConns, srv.MetricsURL())
	}
	c := srv.Client(t, "")
	c.SignUp("ada", "correct horse battery")
	ws := srv.Dial(t, srv.Guest(t, "bo").AccessToken)
	servertest.Eventually(t, 5*time.Second, "the socket is counted", func() bool {
		return srv.Metric(t, "tickwire_sockets_open", "") == 1
	})
	url, addr := srv.URL(), srv.Config.Addr
	srv.Stop()
	if code := servertest.CloseCode(ws, 5*time.Second); code != wire.CloseGoingAway {
		t.Fatalf("close code on Stop: %d, want %d", code, wire.CloseGoingAway)
	}
	if !strings.Contains(srv.Log.String(), "socket open") {
		t.Errorf("LogText kept no socket line:\n%s", srv.Log.String())
	}
	srv.Restart()
	if srv.URL() != url || srv.Config.Addr != addr {
		t.Fatalf("restarted on %s, want %s", srv.URL(), url)
	}
	if tok := srv.Client(t, "").Login("ada", "correct horse battery"); tok.AccessToken == "" {
		t.Fatal("no access token after the restart")
	}
}

// TestRefusals: the helpers that return what they saw report a refused upgrade and an
// error answer rather than failing the test.
func TestRefusals(t *testing.T) {
	srv := servertest.Start(t, nil)
	if _, resp, err := servertest.DialWelcome(t, nil, srv.WSURL(), "not a token", nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial with a bad token: %v (%s)", err, servertest.RespStatus(resp))
	}
	r := srv.Client(t, "").Do("GET", "/api/v1/me", "", nil)
	servertest.WantError(t, "me without a token", r, http.StatusUnauthorized, "invalid_token")
	if code, out, _ := servertest.RunMain(t, "", "version"); code != 0 || !strings.HasPrefix(out, "tickwire ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}
