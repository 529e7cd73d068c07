package ws

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// An echo server over Conn on a loopback port, and a client that speaks RFC 6455 by hand: the
// tests write frames byte by byte, correct ones and broken ones, and read what the server
// answers on the wire.

// echo is a Handler that sends every message back as it came, and closes 4000 when a message
// says "close me".
type echo struct {
	c      *Conn
	closed chan int // the code Closed was told
}

func (e *echo) Message(p []byte, text bool) {
	if string(p) == "close me" {
		e.c.Close(4000, "asked to")
		return
	}
	b := append(make([]byte, HeaderRoom, HeaderRoom+len(p)), p...)
	if text {
		e.c.SendText(b)
	} else {
		e.c.Send(b)
	}
}

func (e *echo) Alarm()          {}
func (e *echo) Closed(code int) { e.closed <- code }

// testConfig is the echo server's limits: messages up to 128 KiB, and rates no test reaches.
func testConfig(binaryOnly bool) *Config {
	return &Config{
		MaxMessageBytes: 128 << 10, MsgRate: 1e6, MsgBurst: 1e6, SendQueue: 1024,
		WriteWait: 5 * time.Second, PongWait: 30 * time.Second, StallTimeout: 2 * time.Second,
		BinaryOnly: binaryOnly, Metrics: NopMetrics(),
	}
}

// echoServer listens on loopback and serves each upgraded connection with an echo over Conn.
type echoServer struct {
	addr   string
	closed chan int
}

func startEcho(t testing.TB, cfg *Config) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{addr: ln.Addr().String(), closed: make(chan int, 64)}
	// On Linux the connections are read by pollers (Start), the path of the server's plain TCP
	// sockets, with every message handed to the socket's own goroutine (echo is no QuickHandler).
	polls := NewPollers()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }, WriteBufferPool: &nopPool{}}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		e := &echo{closed: s.closed}
		e.c = New(cfg, e)
		e.c.Attach(ws.NetConn())
		e.c.Start(polls, func(error) {})
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		hs.Close()
		polls.Close()
	})
	return s
}

type nopPool struct{}

func (*nopPool) Get() any  { return nil }
func (*nopPool) Put(x any) {}

// peer is the client end of one connection: the raw TCP connection after a handshake made by
// hand, so that nothing buffers what the server sends.
type peer struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func (s *echoServer) dial(t testing.TB) *peer {
	t.Helper()
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + s.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := nc.Read(one); err != nil {
			t.Fatalf("handshake: %v after %q", err, head)
		}
		head = append(head, one[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		t.Fatalf("handshake answered %q", head)
	}
	return &peer{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// frame frames payload as a client must, masked with a random key, the length in its shortest
// form unless long asks for the 64-bit one. b0 is FIN, RSV and opcode.
func frame(b0 byte, payload []byte, long bool) []byte {
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
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	f = append(f, key[:]...)
	start := len(f)
	f = append(f, payload...)
	unmask(key, f[start:])
	return f
}

func (p *peer) write(frames ...[]byte) {
	p.t.Helper()
	for _, f := range frames {
		if _, err := p.nc.Write(f); err != nil {
			p.t.Fatalf("write: %v", err)
		}
	}
}

// got is one frame from the server.
type got struct {
	fin  bool
	op   byte
	data []byte
}

// next reads the server's next frame; a server frame is never masked.
func (p *peer) next() (got, error) {
	_ = p.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(p.r, h[:]); err != nil {
		return got{}, err
	}
	if h[1]&0x80 != 0 {
		return got{}, errors.New("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(p.r, b[:]); err != nil {
			return got{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(p.r, b[:]); err != nil {
			return got{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(p.r, data); err != nil {
		return got{}, err
	}
	return got{fin: h[0]&0x80 != 0, op: h[0] & 0x0f, data: data}, nil
}

// expect reads the next frame and checks its opcode and payload.
func (p *peer) expect(op byte, data []byte) {
	p.t.Helper()
	g, err := p.next()
	if err != nil {
		p.t.Fatalf("reading for opcode %d: %v", op, err)
	}
	if !g.fin || g.op != op || !bytes.Equal(g.data, data) {
		p.t.Fatalf("got opcode %d fin %v with %d bytes %.40q, want opcode %d with %d bytes %.40q", g.op, g.fin, len(g.data), g.data, op, len(data), data)
	}
}

// closeCode reads frames until the server's close frame, and returns its code (1005 for none);
// it answers with a close frame, as a client should, and checks that the server then ends the
// TCP connection.
func (p *peer) closeCode() int {
	p.t.Helper()
	for {
		g, err := p.next()
		if err != nil {
			p.t.Fatalf("the connection ended without a close frame: %v", err)
		}
		if g.op != opClose {
			continue
		}
		code := 1005
		if len(g.data) >= 2 {
			code = int(binary.BigEndian.Uint16(g.data))
		}
		_, _ = p.nc.Write(frame(0x80|opClose, g.data, false)) // the server may have gone already
		p.ended()
		return code
	}
}

// ended checks that the server ends the TCP connection (EOF, or a reset when it left bytes of
// ours unread) and sends nothing more.
func (p *peer) ended() {
	p.t.Helper()
	_ = p.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(p.r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		p.t.Fatalf("the server did not end the connection after its close frame")
	}
	if len(b) > 0 {
		p.t.Fatalf("%d bytes after the close frame", len(b))
	}
}

func closeBody(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}
