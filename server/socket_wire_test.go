package server_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// The server reads WebSocket frames by hand. These tests write frames byte by byte onto the TCP
// connection under a gorilla client, framed every way RFC 6455 allows and every way it forbids,
// and read the server's answers through the client.

// clientFrame frames payload as a client must: masked with a random key, the length in its
// shortest form unless long asks for the 64-bit one. b0 is FIN, RSV and opcode.
func clientFrame(b0 byte, payload []byte, long bool) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case long || n > 0xffff:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	case n > 125:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|byte(n))
	}
	key := rand.Uint32()
	f = binary.BigEndian.AppendUint32(f, key)
	for i, c := range payload {
		f = append(f, c^byte(key>>(24-8*(i%4))))
	}
	return f
}

const (
	fin    = 0x80
	binOp  = 0x2
	contOp = 0x0
)

// pingRequest is a msgpack ping request with id, padded with an unknown key to at least size bytes.
func pingRequest(t testing.TB, id uint64, size int) []byte {
	t.Helper()
	b := wire.AppendMapHeader(nil, 4)
	b = wire.AppendString(b, "t")
	b = wire.AppendString(b, wire.TypePing)
	b = wire.AppendString(b, "id")
	b = wire.AppendUint(b, id)
	b = wire.AppendString(b, "d")
	b = wire.AppendMapHeader(b, 1)
	b = wire.AppendString(b, "c")
	b = wire.AppendUint(b, 1)
	b = wire.AppendString(b, "pad")
	return wire.AppendString(b, string(bytes.Repeat([]byte{'x'}, max(0, size-len(b)-8))))
}

// expectPong reads frames until the pong that answers id.
func expectPong(t *testing.T, ws *websocket.Conn, id uint64) {
	t.Helper()
	env := servertest.ReadEnvelope(t, ws)
	if env.T != wire.TypePong || env.ID != id {
		t.Fatalf("got %s id %d, want pong id %d", env.T, env.ID, id)
	}
}

func TestFramesAreReadHoweverTheyAreCut(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.MaxMessageBytes = 100 << 10 }, servertest.Metrics)
	ws := srv.Dial(t, srv.Guest(t, "framer").AccessToken)
	raw := ws.NetConn()
	write := func(b []byte) {
		t.Helper()
		if _, err := raw.Write(b); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("each length form", func(t *testing.T) {
		for i, c := range []struct {
			size int
			long bool
		}{{40, false}, {125, false}, {126, false}, {300, false}, {65535, false}, {70000, false}, {40, true}} {
			id := uint64(100 + i)
			p := pingRequest(t, id, c.size)
			write(clientFrame(fin|binOp, p, c.long))
			expectPong(t, ws, id)
		}
	})

	t.Run("one byte at a time", func(t *testing.T) {
		f := clientFrame(fin|binOp, pingRequest(t, 7, 200), false)
		for i := range f {
			write(f[i : i+1])
			time.Sleep(time.Millisecond)
		}
		expectPong(t, ws, 7)
	})

	t.Run("many frames in one write", func(t *testing.T) {
		before := srv.Metric(t, "tickwire_frames_out_total", "")
		var all []byte
		for id := uint64(1000); id < 1050; id++ {
			all = append(all, clientFrame(fin|binOp, pingRequest(t, id, 40), false)...)
		}
		write(all)
		for id := uint64(1000); id < 1050; id++ {
			expectPong(t, ws, id)
		}
		// The socket is in no lobby: its 50 answers are all it was sent.
		if got := srv.Metric(t, "tickwire_frames_out_total", "") - before; got != 50 {
			t.Fatalf("frames_out_total moved by %v for 50 answers", got)
		}
	})

	t.Run("a fragmented message with a ping between its fragments", func(t *testing.T) {
		pongs := make(chan string, 1)
		ws.SetPongHandler(func(data string) error { pongs <- data; return nil })
		p := pingRequest(t, 9, 300)
		write(clientFrame(binOp, p[:10], false))
		write(clientFrame(0x80|0x9, []byte("between"), false))
		write(clientFrame(contOp, p[10:100], false))
		write(clientFrame(contOp, nil, false))
		write(clientFrame(fin|contOp, p[100:], false))
		expectPong(t, ws, 9) // reading runs the pong handler for the control frame before it
		select {
		case got := <-pongs:
			if got != "between" {
				t.Fatalf("pong payload %q, want the ping's", got)
			}
		default:
			t.Fatal("the WebSocket ping between fragments was not answered")
		}
	})

	t.Run("a frame split across writes, header included", func(t *testing.T) {
		f := clientFrame(fin|binOp, pingRequest(t, 11, 1000), false)
		write(f[:1])
		time.Sleep(5 * time.Millisecond)
		write(f[1:3])
		time.Sleep(5 * time.Millisecond)
		write(f[3:500])
		time.Sleep(5 * time.Millisecond)
		write(append(f[500:], clientFrame(fin|binOp, pingRequest(t, 12, 40), false)...))
		expectPong(t, ws, 11)
		expectPong(t, ws, 12)
	})
}

// TestProtocolViolationsClose: frames RFC 6455 forbids close the socket with 1002 (1007 for a
// close reason that is not UTF-8), and a fragmented message over the size limit with 1009.
func TestProtocolViolationsClose(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	p := pingRequest(t, 1, 40)
	big := make([]byte, 10<<10)
	for _, c := range []struct {
		name   string
		frames [][]byte
		code   int
	}{
		{"an unmasked frame", [][]byte{append([]byte{fin | binOp, byte(len(p))}, p...)}, 1002},
		{"a reserved bit", [][]byte{clientFrame(fin|0x40|binOp, p, false)}, 1002},
		{"an unknown opcode", [][]byte{clientFrame(fin|0x3, p, false)}, 1002},
		{"a fragmented ping", [][]byte{clientFrame(0x9, nil, false)}, 1002},
		{"a ping of 126 bytes", [][]byte{clientFrame(fin|0x9, make([]byte, 126), false)}, 1002},
		{"a continuation without a message", [][]byte{clientFrame(fin|contOp, p, false)}, 1002},
		{"a new message inside a fragmented one", [][]byte{clientFrame(binOp, p[:5], false), clientFrame(fin|binOp, p, false)}, 1002},
		{"a close of one byte", [][]byte{clientFrame(fin|0x8, []byte{3}, false)}, 1002},
		{"a close claiming 1005", [][]byte{clientFrame(fin|0x8, []byte{0x03, 0xed}, false)}, 1002},
		{"a close code under 1000", [][]byte{clientFrame(fin|0x8, []byte{0x00, 0x10}, false)}, 1002},
		{"a close reason that is not UTF-8", [][]byte{clientFrame(fin|0x8, []byte{0x03, 0xe8, 0xff, 0xfe}, false)}, 1007},
		{"a length with the top bit set", [][]byte{append([]byte{fin | binOp, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1}, 1, 2, 3, 4)}, 1002},
		{"fragments over the size limit", [][]byte{clientFrame(binOp, big, false), clientFrame(contOp, big, false)}, 1009},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := srv.Dial(t, srv.Guest(t, "violator").AccessToken)
			for _, f := range c.frames {
				if _, err := ws.NetConn().Write(f); err != nil {
					t.Fatal(err)
				}
			}
			if code, _ := servertest.WaitClose(t, ws, 5*time.Second); code != c.code {
				t.Fatalf("closed %d, want %d", code, c.code)
			}
		})
	}
}

// TestClientClosesGetTheirCodeBack: a client that closes first gets its own code back, 1000 for
// a close frame without one, and the server then ends the TCP connection.
func TestClientClosesGetTheirCodeBack(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	for _, c := range []struct {
		payload []byte
		code    int
	}{{nil, 1000}, {[]byte{0x03, 0xe8}, 1000}, {[]byte{0x03, 0xe9, 'b', 'y', 'e'}, 1001}, {[]byte{0x0f, 0xa0}, 4000}} {
		ws := srv.Dial(t, srv.Guest(t, "closer").AccessToken)
		if _, err := ws.NetConn().Write(clientFrame(fin|0x8, c.payload, false)); err != nil {
			t.Fatal(err)
		}
		if code, _ := servertest.WaitClose(t, ws, 5*time.Second); code != c.code {
			t.Fatalf("close %x answered %d, want %d", c.payload, code, c.code)
		}
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := ws.NetConn().Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("the connection did not end after the handshake: %v", err)
		}
	}
}

// TestCloseFramesPassAnEmptyBudget: a close frame is never refused for the message rate, so a
// client that has spent its burst can still close with its own code.
func TestCloseFramesPassAnEmptyBudget(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.MsgRate = 0.5
		c.MsgBurst = 3
	}, servertest.Metrics)
	ws := srv.Dial(t, srv.Guest(t, "spent").AccessToken)
	var burst []byte
	for id := uint64(1); id <= 3; id++ {
		burst = append(burst, clientFrame(fin|binOp, pingRequest(t, id, 0), false)...)
	}
	if _, err := ws.NetConn().Write(burst); err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= 3; id++ {
		expectPong(t, ws, id)
	}
	// The burst is spent, and at half a frame a second no token comes back for two seconds.
	if _, err := ws.NetConn().Write(clientFrame(fin|0x8, []byte{0x0f, 0xa0}, false)); err != nil {
		t.Fatal(err)
	}
	if code, _ := servertest.WaitClose(t, ws, 5*time.Second); code != 4000 {
		t.Fatalf("the close frame after a spent burst was answered %d, want its own 4000", code)
	}
}
