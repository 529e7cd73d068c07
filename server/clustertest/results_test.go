package clustertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// downFor is how long TestARoundEndedWhileTheDatabaseIsDownIsRecordedOnItsReturn keeps the
// database node down.
const downFor = 20 * time.Second

// TestARoundEndedWhileTheDatabaseIsDownIsRecordedOnItsReturn: a round ends on a game node while
// the database node is down for 20 s; meanwhile sign-ins answer 503 and the sockets play on; the
// round reaches the leaderboard within 15 s of the database node's return, once.
func TestARoundEndedWhileTheDatabaseIsDownIsRecordedOnItsReturn(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		c.Role, c.RoundLength, c.RoundPause = server.RoleGame, time.Second, time.Minute
	})
	ctx, cancel := context.WithTimeout(context.Background(), downFor+30*time.Second)
	defer cancel()
	conns := make([]*goclient.Conn, 2)
	for i, name := range []string{"ann", "bob"} {
		c, err := goclient.Dial(ctx, goclient.WebSocketURL(g.URL()), g.Guest(t, name).AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Join(ctx, wire.Join{Quick: true}); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	db.Stop()
	down := time.Now()
	for over := false; !over; {
		select {
		case e := <-conns[0].Events():
			over = e.Kind == wire.EventRoundOver
		case <-ctx.Done():
			t.Fatal("no round_over within 30 s")
		}
	}
	// The database node stays down for 20 s: sign-ins through the game node answer 503 at once
	// all along, and the sockets on the game node play on (snapshots keep coming).
	snaps := conns[1].Snapshots()
	var tick uint64
	for time.Since(down) < downFor {
		asked := time.Now()
		status, body, _ := servertest.Call(t, nil, "POST", g.URL()+"/api/v1/auth/guest", "", map[string]string{"username": "late"})
		if status != 503 || body["error"] != wire.CodeUnavailable {
			t.Fatalf("guest with the database node down: %d %v, want 503 unavailable", status, body)
		}
		if took := time.Since(asked); took > time.Second {
			t.Fatalf("the 503 took %v, want at once", took)
		}
		last := tick
		for wait := time.After(time.Second); tick == last; {
			select {
			case s := <-snaps:
				tick = max(tick, s.Tick)
			case <-wait:
				t.Fatalf("no new snapshot for 1 s, %v after the database node went down", time.Since(down).Round(time.Second))
			}
		}
	}
	db.Restart()
	back := time.Now()
	servertest.Eventually(t, 15*time.Second, "the round on the leaderboard within 15 s of the database node's return", func() bool {
		status, body, _ := servertest.Call(t, nil, "GET", db.URL()+"/api/v1/leaderboard", "", nil)
		leaders, _ := body["leaders"].([]any)
		return status == 200 && len(leaders) == 2
	})
	t.Logf("the round reached the database %v after its return", time.Since(back).Round(10*time.Millisecond))
	_, body, _ := servertest.Call(t, nil, "GET", db.URL()+"/api/v1/leaderboard", "", nil)
	for _, l := range body["leaders"].([]any) {
		if m := l.(map[string]any)["matches"]; m != float64(1) {
			t.Fatalf("leader %v: want the round recorded once", l)
		}
	}
}

func TestAResultDeliveredTwiceIsRecordedOnce(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, _, b := resultOfTwo(t)
	// The same result twice, as JetStream delivers it again when the database node committed
	// it and died before its acknowledgement; distinct message ids get past the stream's own
	// deduplication, as a redelivery does.
	for i := range 2 {
		if _, err := js.Publish(ctx, prefix+"tickwire.results", b, jetstream.WithMsgID(fmt.Sprint("delivery-", i))); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := js.Stream(ctx, prefix+"tickwire_results")
	if err != nil {
		t.Fatal(err)
	}
	servertest.Eventually(t, 15*time.Second, "both deliveries taken and acknowledged", func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.State.Msgs == 0
	})
	_, body, _ := servertest.Call(t, nil, "GET", db.URL()+"/api/v1/leaderboard", "", nil)
	leaders, _ := body["leaders"].([]any)
	if len(leaders) != 2 {
		t.Fatalf("leaderboard %v, want ann and bob", body)
	}
	for _, l := range leaders {
		if l := l.(map[string]any); l["matches"] != float64(1) {
			t.Fatalf("leader %v: want the round counted once", l)
		}
	}
}

// resultOfTwo is a client of the test's NATS cluster, as another node sees it, and a finished
// round of two players (ann won), as a game node publishes it on the results stream.
func resultOfTwo(t *testing.T) (jetstream.JetStream, game.Match, []byte) {
	t.Helper()
	nc, err := nats.Connect(clustertest.NATS.URLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	t0 := time.Now().Add(-time.Minute)
	m := game.Match{Key: "game-1/round-1", LobbyID: "l1", Game: "arena", Started: t0, Ended: t0.Add(30 * time.Second),
		Scores: []game.Score{{AccountID: "acct-ann", Name: "ann", Score: 3}, {AccountID: "acct-bob", Name: "bob", Score: 1}}}
	b, _ := json.Marshal(m)
	return js, m, b
}
