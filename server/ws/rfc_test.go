package ws

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The RFC 6455 edge cases, on the wire: each case writes hand-made frames to an echo server
// over Conn on a loopback port and checks what comes back, the echoes and pongs in order, then
// the close code the server answers with and the end of the TCP connection. They follow the
// sections of the Autobahn test suite that apply to a server (1 framing, 2 pings and pongs,
// 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 closing, 9 limits, in small sizes).

const (
	fin  = 0x80
	rsv1 = 0x40
	rsv2 = 0x20
	rsv3 = 0x10
)

// reply is a frame the server must send back, in order.
type reply struct {
	op   byte
	data []byte
}

// rfcCase is frames written in one go, the replies they earn, then frames written once the
// replies are read, and the code of the server's close frame; 0 means the connection stays
// open, and the test then closes it normally. A close frame goes out after the frame being
// written and before those still queued (PROTOCOL.md, the closing handshake), so a case whose
// good frames must be answered before a violation writes the violation in then.
type rfcCase struct {
	name    string
	frames  [][]byte
	replies []reply
	then    [][]byte
	code    int
}

func runCases(t *testing.T, cfg *Config, cases []rfcCase) {
	t.Helper()
	srv := startEcho(t, cfg)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := srv.dial(t)
			p.write(bytes.Join(c.frames, nil))
			for _, r := range c.replies {
				p.expect(r.op, r.data)
			}
			p.write(c.then...)
			want := c.code
			if want == 0 {
				p.write(frame(fin|opClose, closeBody(1000, "done"), false))
				want = 1000
			}
			if code := p.closeCode(); code != want {
				t.Fatalf("the server closed %d, want %d", code, want)
			}
			select {
			case code := <-srv.closed:
				if code != want {
					t.Fatalf("the handler was told %d, want %d", code, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the handler was not told of the close")
			}
		})
	}
}

func text(s string) []byte { return frame(fin|opText, []byte(s), false) }
func bin(b []byte) []byte  { return frame(fin|opBinary, b, false) }

func TestRFCFraming(t *testing.T) { // Autobahn 1
	var cases []rfcCase
	for _, n := range []int{0, 1, 125, 126, 127, 128, 65535, 65536, 100000} {
		p := bytes.Repeat([]byte{'*'}, n)
		cases = append(cases,
			rfcCase{name: fmt.Sprintf("text of %d bytes", n), frames: [][]byte{frame(fin|opText, p, false)}, replies: []reply{{opText, p}}},
			rfcCase{name: fmt.Sprintf("binary of %d bytes", n), frames: [][]byte{frame(fin|opBinary, p, false)}, replies: []reply{{opBinary, p}}})
	}
	five := []byte("hello")
	cases = append(cases,
		rfcCase{name: "a 16-bit length for 5 bytes is accepted", frames: [][]byte{nonMinimal16(five)}, replies: []reply{{opBinary, five}}},
		rfcCase{name: "a 64-bit length for 5 bytes is accepted", frames: [][]byte{frame(fin|opBinary, five, true)}, replies: []reply{{opBinary, five}}},
		rfcCase{name: "a 64-bit length with the top bit set", frames: [][]byte{{fin | opBinary, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4}}, code: 1002},
		rfcCase{name: "an unmasked frame", frames: [][]byte{{fin | opBinary, 5, 'h', 'e', 'l', 'l', 'o'}}, code: 1002},
		rfcCase{name: "an unmasked frame after a good one", frames: [][]byte{bin(five)}, replies: []reply{{opBinary, five}}, then: [][]byte{{fin | opBinary, 5, 'h', 'e', 'l', 'l', 'o'}}, code: 1002},
	)
	runCases(t, testConfig(false), cases)
}

// nonMinimal16 frames p (under 126 bytes) with the 16-bit length form.
func nonMinimal16(p []byte) []byte {
	f := []byte{fin | opBinary, 0x80 | 126}
	f = binary.BigEndian.AppendUint16(f, uint16(len(p)))
	f = append(f, 0, 0, 0, 0) // a mask of zeros leaves the payload as it is
	return append(f, p...)
}

func TestRFCPingPong(t *testing.T) { // Autobahn 2
	b125 := bytes.Repeat([]byte{0xfe}, 125)
	tenPings := make([][]byte, 10)
	tenPongs := make([]reply, 10)
	for i := range tenPings {
		tenPings[i] = frame(fin|opPing, []byte{byte(i)}, false)
		tenPongs[i] = reply{opPong, []byte{byte(i)}}
	}
	runCases(t, testConfig(false), []rfcCase{
		{name: "a ping without payload", frames: [][]byte{frame(fin|opPing, nil, false)}, replies: []reply{{opPong, []byte{}}}},
		{name: "a ping of text", frames: [][]byte{frame(fin|opPing, []byte("Hello, world!"), false)}, replies: []reply{{opPong, []byte("Hello, world!")}}},
		{name: "a ping of 125 binary bytes", frames: [][]byte{frame(fin|opPing, b125, false)}, replies: []reply{{opPong, b125}}},
		{name: "a ping of 126 bytes", frames: [][]byte{frame(fin|opPing, append(b125, 0), false)}, code: 1002},
		{name: "a ping with a 16-bit length", frames: [][]byte{{fin | opPing, 0x80 | 126, 0, 5, 0, 0, 0, 0, 1, 2, 3, 4, 5}}, code: 1002},
		{name: "an unsolicited pong is ignored", frames: [][]byte{frame(fin|opPong, nil, false), text("after")}, replies: []reply{{opText, []byte("after")}}},
		{name: "an unsolicited pong with payload, then a ping", frames: [][]byte{frame(fin|opPong, []byte("unasked"), false), frame(fin|opPing, []byte("asked"), false)}, replies: []reply{{opPong, []byte("asked")}}},
		{name: "ten pings get ten pongs in order", frames: tenPings, replies: tenPongs},
	})
}

func TestRFCReservedBits(t *testing.T) { // Autobahn 3
	var cases []rfcCase
	for _, rsv := range []byte{rsv1, rsv2, rsv3, rsv1 | rsv2 | rsv3} {
		for _, op := range []byte{opText, opBinary, opPing, opClose, opContinuation} {
			cases = append(cases, rfcCase{
				name:    fmt.Sprintf("rsv %#x on opcode %d after a good frame", rsv, op),
				frames:  [][]byte{text("first")},
				replies: []reply{{opText, []byte("first")}},
				then:    [][]byte{frame(fin|rsv|op, nil, false), frame(fin|opPing, nil, false)},
				code:    1002,
			})
		}
	}
	runCases(t, testConfig(false), cases)
}

func TestRFCOpcodes(t *testing.T) { // Autobahn 4
	var cases []rfcCase
	for _, op := range []byte{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		cases = append(cases,
			rfcCase{name: fmt.Sprintf("opcode %#x", op), frames: [][]byte{frame(fin|op, nil, false)}, code: 1002},
			rfcCase{name: fmt.Sprintf("opcode %#x with payload after a good frame", op), frames: [][]byte{text("first")},
				replies: []reply{{opText, []byte("first")}}, then: [][]byte{frame(fin|op, []byte("x"), false), frame(fin|opPing, nil, false)}, code: 1002})
	}
	runCases(t, testConfig(false), cases)
}

func TestRFCFragmentation(t *testing.T) { // Autobahn 5
	oneByte := func(s string) [][]byte {
		var fs [][]byte
		for i := range len(s) {
			b0 := byte(opContinuation)
			if i == 0 {
				b0 = opText
			}
			if i == len(s)-1 {
				b0 |= fin
			}
			fs = append(fs, frame(b0, []byte{s[i]}, false))
		}
		return fs
	}
	runCases(t, testConfig(false), []rfcCase{
		{name: "a fragmented ping", frames: [][]byte{frame(opPing, []byte("frag"), false), frame(fin|opContinuation, []byte("ment"), false)}, code: 1002},
		{name: "a fragmented pong", frames: [][]byte{frame(opPong, []byte("frag"), false), frame(fin|opContinuation, []byte("ment"), false)}, code: 1002},
		{name: "a fragmented close", frames: [][]byte{frame(opClose, closeBody(1000, ""), false)}, code: 1002},
		{name: "text in two fragments", frames: [][]byte{frame(opText, []byte("frag"), false), frame(fin|opContinuation, []byte("ment"), false)}, replies: []reply{{opText, []byte("fragment")}}},
		{name: "binary in two fragments", frames: [][]byte{frame(opBinary, []byte{1, 2}, false), frame(fin|opContinuation, []byte{3}, false)}, replies: []reply{{opBinary, []byte{1, 2, 3}}}},
		{name: "a ping between fragments", frames: [][]byte{frame(opText, []byte("frag"), false), frame(fin|opPing, []byte("ping"), false), frame(fin|opContinuation, []byte("ment"), false)},
			replies: []reply{{opPong, []byte("ping")}, {opText, []byte("fragment")}}},
		{name: "pings between five fragments", frames: [][]byte{
			frame(opText, []byte("a"), false), frame(fin|opPing, []byte("1"), false), frame(opContinuation, []byte("b"), false),
			frame(fin|opPing, []byte("2"), false), frame(opContinuation, []byte("c"), false), frame(fin|opPong, []byte("x"), false),
			frame(opContinuation, nil, false), frame(fin|opContinuation, []byte("d"), false)},
			replies: []reply{{opPong, []byte("1")}, {opPong, []byte("2")}, {opText, []byte("abcd")}}},
		{name: "fragments of one byte each", frames: oneByte("one byte at a time"), replies: []reply{{opText, []byte("one byte at a time")}}},
		{name: "empty fragments", frames: [][]byte{frame(opText, nil, false), frame(opContinuation, nil, false), frame(fin|opContinuation, nil, false)}, replies: []reply{{opText, []byte{}}}},
		{name: "a final continuation without a message", frames: [][]byte{frame(fin|opContinuation, []byte("orphan"), false)}, code: 1002},
		{name: "a continuation without a message", frames: [][]byte{frame(opContinuation, []byte("orphan"), false), frame(fin|opContinuation, []byte("s"), false)}, code: 1002},
		{name: "a continuation after a whole message", frames: [][]byte{frame(opText, []byte("frag"), false), frame(fin|opContinuation, []byte("ment"), false)},
			replies: []reply{{opText, []byte("fragment")}}, then: [][]byte{frame(fin|opContinuation, []byte("more"), false)}, code: 1002},
		{name: "a new text frame inside a fragmented one", frames: [][]byte{frame(opText, []byte("frag"), false), frame(opText, []byte("ment"), false)}, code: 1002},
		{name: "a whole binary frame inside a fragmented text", frames: [][]byte{frame(opText, []byte("frag"), false), bin([]byte("x"))}, code: 1002},
	})
}

func TestRFCUTF8(t *testing.T) { // Autobahn 6
	kosme := "κόσμε"
	var splitMidRune [][]byte
	for i, cut := range []int{0, 1, 3, 6, len(kosme)} { // 1 and 3 fall inside runes
		if i == 0 {
			continue
		}
		prev := []int{0, 1, 3, 6, len(kosme)}[i-1]
		b0 := byte(opContinuation)
		if prev == 0 {
			b0 = opText
		}
		if cut == len(kosme) {
			b0 |= fin
		}
		splitMidRune = append(splitMidRune, frame(b0, []byte(kosme[prev:cut]), false))
	}
	cases := []rfcCase{
		{name: "an empty text", frames: [][]byte{text("")}, replies: []reply{{opText, []byte{}}}},
		{name: "a valid multi-byte text", frames: [][]byte{text(kosme)}, replies: []reply{{opText, []byte(kosme)}}},
		{name: "valid text cut inside its runes", frames: splitMidRune, replies: []reply{{opText, []byte(kosme)}}},
		{name: "the largest code points", frames: [][]byte{text("\U0010FFFF\uFFFF\uE000")}, replies: []reply{{opText, []byte("\U0010FFFF\uFFFF\uE000")}}},
		{name: "invalid UTF-8 cut across fragments", frames: [][]byte{frame(opText, []byte("κό"), false), frame(fin|opContinuation, []byte{0xed, 0xa0, 0x80}, false)}, code: 1007},
	}
	for _, bad := range [][]byte{{0xff}, {0xfe}, {0xc0, 0xaf}, {0xe0, 0x80, 0xaf}, {0xed, 0xa0, 0x80}, {0xed, 0xbf, 0xbf}, {0xf4, 0x90, 0x80, 0x80}, {0xce}, {0xce, 0xba, 0xe1}, {0x80}, {'a', 0xc0}} {
		cases = append(cases, rfcCase{name: fmt.Sprintf("text % x", bad), frames: [][]byte{frame(fin|opText, bad, false)}, code: 1007})
	}
	runCases(t, testConfig(false), cases)
}

// TestBinaryOnlyClosesText: under Config.BinaryOnly, as the game server runs, any text message
// closes 1003, valid UTF-8 or not, whole or fragmented; binary ones are echoed.
func TestBinaryOnlyClosesText(t *testing.T) {
	runCases(t, testConfig(true), []rfcCase{
		{name: "binary passes", frames: [][]byte{bin([]byte{1, 2, 3})}, replies: []reply{{opBinary, []byte{1, 2, 3}}}},
		{name: "a text message", frames: [][]byte{text(`{"t":"ping"}`)}, code: 1003},
		{name: "a text message not UTF-8", frames: [][]byte{frame(fin|opText, []byte{0xff}, false)}, code: 1003},
		{name: "a fragmented text message", frames: [][]byte{frame(opText, []byte("a"), false), frame(fin|opContinuation, []byte("b"), false)}, code: 1003},
		{name: "frames after the text are discarded", frames: [][]byte{text("t"), bin([]byte{1})}, code: 1003},
	})
}

func TestRFCClose(t *testing.T) { // Autobahn 7
	cases := []rfcCase{
		{name: "an echo, then a close", frames: [][]byte{text("Hello")}, replies: []reply{{opText, []byte("Hello")}}, then: [][]byte{frame(fin|opClose, closeBody(1000, ""), false)}, code: 1000},
		{name: "frames after the close are not answered", frames: [][]byte{frame(fin|opClose, closeBody(1000, ""), false), frame(fin|opPing, []byte("late"), false), text("late")}, code: 1000},
		{name: "a close inside a fragmented message", frames: [][]byte{frame(opText, []byte("frag"), false), frame(fin|opClose, closeBody(1000, ""), false)}, code: 1000},
		{name: "a close without payload", frames: [][]byte{frame(fin|opClose, nil, false)}, code: 1000},
		{name: "a close of one byte", frames: [][]byte{frame(fin|opClose, []byte{0x03}, false)}, code: 1002},
		{name: "a close of 125 bytes", frames: [][]byte{frame(fin|opClose, closeBody(1000, strings.Repeat("*", 123)), false)}, code: 1000},
		{name: "a close of 126 bytes", frames: [][]byte{frame(fin|opClose, closeBody(1000, strings.Repeat("*", 124)), false)}, code: 1002},
		{name: "a close reason that is not UTF-8", frames: [][]byte{frame(fin|opClose, closeBody(1000, "\xce\xba\xe1\xbd"), false)}, code: 1007},
		{name: "a valid multi-byte close reason", frames: [][]byte{frame(fin|opClose, closeBody(1001, "κόσμε"), false)}, code: 1001},
	}
	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cases = append(cases, rfcCase{name: fmt.Sprintf("close %d is answered with it", code), frames: [][]byte{frame(fin|opClose, closeBody(code, "bye"), false)}, code: code})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, rfcCase{name: fmt.Sprintf("close %d is a protocol error", code), frames: [][]byte{frame(fin|opClose, closeBody(code, ""), false)}, code: 1002})
	}
	runCases(t, testConfig(false), cases)
}

func TestRFCLimits(t *testing.T) { // Autobahn 9, in small sizes
	cfg := testConfig(false)
	limit := cfg.MaxMessageBytes
	full := bytes.Repeat([]byte{'x'}, limit)
	half := full[:limit/2]
	many := make([][]byte, 100)
	echoes := make([]reply, 100)
	for i := range many {
		p := bytes.Repeat([]byte{byte(i)}, 1000)
		many[i], echoes[i] = bin(p), reply{opBinary, p}
	}
	runCases(t, cfg, []rfcCase{
		{name: "a message at the limit", frames: [][]byte{frame(fin|opText, full, false)}, replies: []reply{{opText, full}}},
		{name: "a message one byte over", frames: [][]byte{frame(fin|opBinary, append(full, 'x'), false)}, code: 1009},
		{name: "fragments adding up to the limit", frames: [][]byte{frame(opBinary, half, false), frame(fin|opContinuation, half, false)}, replies: []reply{{opBinary, full}}},
		{name: "fragments adding up to one byte over", frames: [][]byte{frame(opBinary, half, false), frame(opContinuation, half, false), frame(fin|opContinuation, []byte{'x'}, false)}, code: 1009},
		{name: "a hundred messages in one write", frames: many, replies: echoes},
	})
}

// TestServerCloses: a close this side starts reaches the peer as the first frame after it, what
// the peer sends meanwhile is discarded, and the peer's close frame ends the connection.
func TestServerCloses(t *testing.T) {
	srv := startEcho(t, testConfig(false))
	p := srv.dial(t)
	p.write(text("close me"), text("discarded"), frame(fin|opPing, []byte("discarded"), false))
	g, err := p.next()
	if err != nil || g.op != opClose || len(g.data) < 2 || binary.BigEndian.Uint16(g.data) != 4000 || string(g.data[2:]) != "asked to" {
		t.Fatalf("first frame after the close = %+v, %v; want close 4000 asked to", g, err)
	}
	p.write(frame(fin|opClose, g.data[:2], false))
	p.ended()
	if code := <-srv.closed; code != 4000 {
		t.Fatalf("the handler was told %d, want 4000", code)
	}
}

// TestPeerVanishes: a peer that drops the TCP connection ends the Conn, with no close code.
func TestPeerVanishes(t *testing.T) {
	srv := startEcho(t, testConfig(false))
	p := srv.dial(t)
	p.write(text("hello"))
	p.expect(opText, []byte("hello"))
	p.nc.Close()
	select {
	case code := <-srv.closed:
		if code != 0 {
			t.Fatalf("the handler was told %d, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not told")
	}
}
