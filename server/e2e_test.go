package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestTwoPlayersShareALobby is the walking skeleton end to end: two accounts register, log in,
// dial, quick-join one lobby and steer; both see both players, ticks rise, and each player's
// ack reaches its last input's seq.
func TestTwoPlayersShareALobby(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := goclient.New(srv.URL())

	conns := make([]*goclient.Conn, 2)
	lobby := ""
	for i := range conns {
		name := fmt.Sprintf("player%d", i)
		if _, err := api.Register(ctx, name, "correct horse"); err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
		tok, err := api.Login(ctx, name, "correct horse")
		if err != nil {
			t.Fatalf("login %s: %v", name, err)
		}
		c, err := goclient.Dial(ctx, goclient.WebSocketURL(srv.URL()), tok.AccessToken)
		if err != nil {
			t.Fatalf("dial %s: %v", name, err)
		}
		defer c.Close()
		if c.Welcome.Account.Username != name || c.Welcome.Protocol != 1 {
			t.Fatalf("welcome = %+v", c.Welcome)
		}
		j, err := c.Join(ctx, wire.Join{Quick: true})
		if err != nil {
			t.Fatalf("join %s: %v", name, err)
		}
		if lobby == "" {
			lobby = j.Lobby.ID
		} else if j.Lobby.ID != lobby {
			t.Fatalf("quick join put %s in %s, not %s", name, j.Lobby.ID, lobby)
		}
		conns[i] = c
	}

	const inputs = 30
	for seq := uint32(1); seq <= inputs; seq++ {
		for i, c := range conns {
			dx := float32(1 - 2*i) // one goes right, the other left
			if err := clientarena.SendInput(c, clientarena.Input{Seq: seq, DX: dx, DY: 0.5}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, c := range conns {
		var last uint64
		for {
			select {
			case s := <-c.Snapshots():
				if s.Tick <= last {
					t.Fatalf("player %d: tick %d after %d", i, s.Tick, last)
				}
				last = s.Tick
				if st, err := clientarena.Decode(s); err != nil || len(st.Players) != 2 {
					continue
				}
				if s.Ack == inputs {
					goto next
				}
			case <-ctx.Done():
				t.Fatalf("player %d never saw ack %d with both players", i, inputs)
			}
		}
	next:
	}
}
