package server_test

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// keepSending writes frames of type mt on ws every few milliseconds until the returned stop is
// called, as a client does that has not noticed the server closing: the closing handshake must
// still get the close code to it.
func keepSending(ws *websocket.Conn, mt int, frame []byte) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(3 * time.Millisecond):
			}
			_ = ws.SetWriteDeadline(time.Now().Add(time.Second))
			if ws.WriteMessage(mt, frame) != nil {
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func TestBadInputClosesWithItsCode(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	input, _ := wire.Encode(wire.TypeInput, 0, wire.Input{Seq: 1})
	envelope := func(typ string, d []byte) []byte {
		b := wire.AppendMapHeader(nil, 2)
		b = wire.AppendString(b, "t")
		b = wire.AppendString(b, typ)
		b = wire.AppendString(b, "d")
		return append(b, d...)
	}
	deep := append(bytes.Repeat([]byte{0x91}, 10000), 0xc0)
	for _, c := range []struct {
		name  string
		mt    int
		frame []byte
		code  int
	}{
		{"a text frame", websocket.TextMessage, []byte(`{"t":"ping"}`), 1003},
		{"a frame over 16 KiB", websocket.BinaryMessage, make([]byte, 20<<10), 1009},
		{"a frame of a MiB", websocket.BinaryMessage, make([]byte, 1<<20), 1009},
		{"bytes that are not msgpack", websocket.BinaryMessage, []byte{0xc1, 0x00}, 4008},
		{"msgpack that is not an envelope", websocket.BinaryMessage, []byte{0x93, 0x01, 0x02, 0x03}, 4008},
		{"an envelope with trailing bytes", websocket.BinaryMessage, append(input, 0x00), 4008},
		{"an array32 bomb", websocket.BinaryMessage, []byte{0xdd, 0x02, 0x00, 0x00, 0x00}, 4008},
		{"a map32 bomb", websocket.BinaryMessage, []byte{0xdf, 0x02, 0x00, 0x00, 0x00}, 4008},
		{"an input with an array32 bomb", websocket.BinaryMessage, envelope(wire.TypeInput, []byte{0xdd, 0x02, 0x00, 0x00, 0x00}), 4008},
		{"a join with a str32 bomb", websocket.BinaryMessage, envelope(wire.TypeJoin, []byte{0x81, 0xa4, 'c', 'o', 'd', 'e', 0xdb, 0xff, 0xff, 0xff, 0xff}), 4008},
		{"10000 levels of arrays", websocket.BinaryMessage, deep, 4008},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := srv.Dial(t, srv.Guest(t, "bad").AccessToken)
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			alloc := ms.TotalAlloc
			if err := ws.WriteMessage(c.mt, c.frame); err != nil {
				t.Fatal(err)
			}
			stop := keepSending(ws, websocket.BinaryMessage, input)
			code, took := servertest.WaitClose(t, ws, 5*time.Second)
			stop()
			runtime.ReadMemStats(&ms)
			if code != c.code {
				t.Fatalf("closed %d, want %d", code, c.code)
			}
			if took > 2*time.Second {
				t.Fatalf("the close took %v", took)
			}
			// The whole server, this socket's frame and everything else running, allocated
			// this much meanwhile; a decoder trusting the bomb's lengths would take 512 MiB.
			if grown := ms.TotalAlloc - alloc; grown > 8<<20+uint64(len(c.frame)) {
				t.Fatalf("the process allocated %d bytes while handling the frame", grown)
			}
		})
	}
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="4008",reason="malformed frame"`); n != 8 {
		t.Errorf("closes{4008, malformed frame} = %v, want 8", n)
	}
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="1009",reason="frame too large"`); n != 2 {
		t.Errorf("closes{1009} = %v, want 2", n)
	}
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="1003",reason="binary frames only"`); n != 1 {
		t.Errorf("closes{1003} = %v, want 1", n)
	}
}

// TestFloodIsClosedAndHarmsNoOne: a client past the message rate is closed 4008, while another
// player in its lobby sees every tick.
func TestFloodIsClosedAndHarmsNoOne(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.MsgRate = 30
		c.MsgBurst = 60
	}, servertest.Metrics)
	ctx := t.Context()
	peer, err := goclient.Dial(ctx, srv.WSURL(), srv.Guest(t, "peer").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	j, err := peer.Create(ctx, wire.Create{Name: "flooded"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"frames", "pings", "pongs"} {
		t.Run(kind, func(t *testing.T) {
			ws := srv.Dial(t, srv.Guest(t, "flood").AccessToken)
			servertest.WriteEnvelope(t, ws, wire.TypeJoin, 1, wire.Join{Lobby: j.Lobby.ID})
			expectFrame(t, ws, wire.TypeJoined, 1)
			var stop func()
			if kind != "frames" {
				// Unsolicited pongs count toward the rate as pings do.
				mt := map[string]int{"pings": websocket.PingMessage, "pongs": websocket.PongMessage}[kind]
				done := make(chan struct{})
				go func() {
					for {
						select {
						case <-done:
							return
						default:
						}
						if ws.WriteControl(mt, nil, time.Now().Add(time.Second)) != nil {
							return
						}
					}
				}()
				stop = func() { close(done) }
			} else {
				in, _ := wire.Encode(wire.TypeInput, 0, wire.Input{Seq: 1})
				for range 100 {
					_ = ws.WriteMessage(websocket.BinaryMessage, in)
				}
				stop = keepSending(ws, websocket.BinaryMessage, in)
			}
			code, _ := servertest.WaitClose(t, ws, 5*time.Second)
			stop()
			if code != 4008 {
				t.Fatalf("the flood was closed %d, want 4008", code)
			}
		})
	}
	// The peer's snapshots went on, tick after tick.
	var last uint64
	for range 20 {
		select {
		case s := <-peer.Snapshots():
			if last != 0 && s.Tick != last+1 {
				t.Fatalf("the peer saw tick %d after %d (superseded %v)", s.Tick, last, srv.Metric(t, "tickwire_snapshots_superseded_total", ""))
			}
			last = s.Tick
		case <-time.After(2 * time.Second):
			t.Fatal("the peer's snapshots stopped")
		}
	}
	if n := srv.Metric(t, "tickwire_socket_closes_total", `code="4008",reason="message rate over the limit"`); n != 3 {
		t.Fatalf("closes{4008, rate} = %v", n)
	}
}
