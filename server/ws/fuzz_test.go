package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParseFrames reads a stream of client frames as the reader does, header by header, from
// bytes cut at a chosen point, and checks what the parser promises: it never panics, a header it
// accepts lies within the bytes and says the same whether the bytes came whole or cut, a control
// frame it accepts is final and at most 125 bytes, every refusal is a violation with its code,
// and a close payload it accepts has a code a peer may send and a UTF-8 reason.
//
//	go test -run '^$' -fuzz FuzzParseFrames ./server/ws
func FuzzParseFrames(f *testing.F) {
	mask := []byte{0x11, 0x22, 0x33, 0x44}
	masked := func(b0 byte, p []byte) []byte {
		out := []byte{b0}
		switch n := len(p); {
		case n > 0xffff:
			out = binary.BigEndian.AppendUint64(append(out, 0x80|127), uint64(n))
		case n > 125:
			out = binary.BigEndian.AppendUint16(append(out, 0x80|126), uint16(n))
		default:
			out = append(out, 0x80|byte(n))
		}
		out = append(out, mask...)
		start := len(out)
		out = append(out, p...)
		unmask([4]byte(mask), out[start:])
		return out
	}
	f.Add(masked(0x82, []byte("hello")), 0)
	f.Add(masked(0x81, []byte("κόσμε")), 3)
	f.Add(append(masked(0x01, []byte("frag")), masked(0x80, []byte("ment"))...), 7)
	f.Add(append(masked(0x02, []byte{1}), append(masked(0x89, []byte("ping")), masked(0x80, []byte{2})...)...), 9)
	f.Add(masked(0x82, make([]byte, 300)), 2)
	f.Add(masked(0x82, make([]byte, 70000)), 11)
	f.Add(masked(0x88, nil), 0)
	f.Add(masked(0x88, []byte{0x03, 0xe8, 'b', 'y', 'e'}), 1)
	f.Add(masked(0x88, []byte{0x03}), 0)
	f.Add(masked(0x88, []byte{0x03, 0xe8, 0xff}), 0)
	f.Add(masked(0x88, []byte{0x13, 0x88}), 0) // 5000
	f.Add(masked(0x89, make([]byte, 126)), 0)
	f.Add(masked(0x09, nil), 0)
	f.Add(masked(0xc2, nil), 0)
	f.Add(masked(0x83, nil), 0)
	f.Add([]byte{0x82, 0x05, 'h', 'e', 'l', 'l', 'o'}, 0)
	f.Add([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}, 5)
	f.Add([]byte{0x82, 0xfe, 0, 5, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'}, 4)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		if len(stream) > 0 {
			cut = int(uint(cut) % uint(len(stream)+1))
		} else {
			cut = 0
		}
		for len(stream) > 0 {
			h, ok, err := parseHead(stream)
			if err != nil {
				var v *violation
				if !errors.As(err, &v) || v.code != 1002 {
					t.Fatalf("refused with %v, not a 1002 violation", err)
				}
				return
			}
			if !ok {
				if len(stream) >= maxFrameHeader {
					t.Fatalf("a header of %d bytes is still not whole", len(stream))
				}
				return
			}
			if h.size > len(stream) || h.n < 0 || h.size != 6 && h.size != 8 && h.size != 14 {
				t.Fatalf("head %+v from %d bytes", h, len(stream))
			}
			if cut > 0 && cut < len(stream) {
				// The same header from its first cut bytes: not whole yet, or the same.
				hc, okc, errc := parseHead(stream[:cut])
				if errc != nil || okc && hc != h {
					t.Fatalf("cut at %d: %+v %v %v, whole: %+v", cut, hc, okc, errc, h)
				}
			}
			if h.op >= opClose && (!h.fin || h.n > maxControlPayload) {
				t.Fatalf("accepted control frame %+v", h)
			}
			if len(stream)-h.size < h.n {
				return // the payload is still to come
			}
			p := bytes.Clone(stream[h.size : h.size+h.n])
			unmask(h.mask, p)
			if h.op == opClose {
				code, err := parseClose(p)
				if err == nil && (len(p) == 0) != (code == 1005) {
					t.Fatalf("close payload % x gave code %d", p, code)
				}
				if err == nil && len(p) >= 2 && (!validCloseCode(code) || !utf8.Valid(p[2:])) {
					t.Fatalf("close payload % x accepted with code %d", p, code)
				}
				var v *violation
				if err != nil && (!errors.As(err, &v) || v.code != 1002 && v.code != 1007) {
					t.Fatalf("close payload % x refused with %v", p, err)
				}
			}
			stream, cut = stream[h.size+h.n:], 0
		}
	})
}
