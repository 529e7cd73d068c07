package server_test

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestSilentClientsAreDropped: the server pings at 9/10 of --pong-wait; a client that answers
// (gorilla answers pings while it reads) lives on without sending anything, and one that never
// reads, so never answers, is dropped once --pong-wait passes.
func TestSilentClientsAreDropped(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.PongWait = time.Second }, servertest.Metrics)
	alive := srv.Dial(t, srv.Guest(t, "alive").AccessToken)
	srv.Dial(t, srv.Guest(t, "silent").AccessToken) // reads nothing from here on
	frames := make(chan []byte, 16)
	go func() {
		defer close(frames)
		for { // answers pings while it reads
			_, b, err := alive.ReadMessage()
			if err != nil {
				return
			}
			frames <- b
		}
	}()
	start := time.Now()
	servertest.Eventually(t, 5*time.Second, "the silent socket is dropped", func() bool { return srv.Metric(t, "tickwire_sockets_open", "") == 1 })
	if took := time.Since(start); took < 800*time.Millisecond {
		t.Fatalf("dropped after %v, before --pong-wait", took)
	}
	time.Sleep(3 * time.Second)
	if n := srv.Metric(t, "tickwire_sockets_open", ""); n != 1 {
		t.Fatalf("sockets_open = %v after 4 s; the answering client was dropped too", n)
	}
	servertest.WriteEnvelope(t, alive, wire.TypePing, 1, wire.Ping{})
	select {
	case b, ok := <-frames:
		if !ok {
			t.Fatal("the answering client's socket ended")
		}
		if env, err := wire.Decode(b, wire.Limits{}); err != nil || env.T != wire.TypePong || env.ID != 1 {
			t.Fatalf("got %+v, %v; want pong 1", env, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
}
