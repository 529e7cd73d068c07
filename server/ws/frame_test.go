package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf8"
)

// The parser on its own: what parseHead makes of a header, and which violation it names.
func TestParseHead(t *testing.T) {
	mask := []byte{1, 2, 3, 4}
	head := func(b ...byte) []byte { return append(b, mask...) }
	for _, c := range []struct {
		name string
		b    []byte
		ok   bool
		err  *violation
		n    int
		size int
	}{
		{"too short for anything", []byte{0x82}, false, nil, 0, 0},
		{"a 7-bit length", head(0x82, 0x85), true, nil, 5, 6},
		{"a 7-bit length without its mask yet", []byte{0x82, 0x85, 1, 2}, false, nil, 0, 0},
		{"a 16-bit length", head(0x82, 0x80|126, 0x01, 0x00), true, nil, 256, 8},
		{"a 16-bit length cut short", []byte{0x82, 0x80 | 126, 0x01}, false, nil, 0, 0},
		{"a 64-bit length", head(0x82, 0x80|127, 0, 0, 0, 0, 0, 1, 0, 0), true, nil, 65536, 14},
		{"a non-minimal 16-bit length", head(0x82, 0x80|126, 0, 5), true, nil, 5, 8},
		{"a non-minimal 64-bit length", head(0x82, 0x80|127, 0, 0, 0, 0, 0, 0, 0, 5), true, nil, 5, 14},
		{"a 64-bit length with the top bit set", head(0x82, 0x80|127, 0x80, 0, 0, 0, 0, 0, 0, 0), false, errLength, 0, 0},
		{"the largest 64-bit length", head(0x82, 0x80|127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), true, nil, 1<<63 - 1, 14},
		{"rsv1", head(0xc2, 0x80), false, errReserved, 0, 0},
		{"rsv2", head(0xa2, 0x80), false, errReserved, 0, 0},
		{"rsv3", head(0x92, 0x80), false, errReserved, 0, 0},
		{"opcode 3", head(0x83, 0x80), false, errOpcode, 0, 0},
		{"opcode 7", head(0x87, 0x80), false, errOpcode, 0, 0},
		{"opcode 11", head(0x8b, 0x80), false, errOpcode, 0, 0},
		{"opcode 15", head(0x8f, 0x80), false, errOpcode, 0, 0},
		{"unmasked", []byte{0x82, 0x05}, false, errUnmasked, 0, 0},
		{"a ping of 125", head(0x89, 0x80|125), true, nil, 125, 6},
		{"a ping of 126", head(0x89, 0x80|126, 0, 126), false, errControl, 0, 0},
		{"a close with a 16-bit length", head(0x88, 0x80|126, 0, 2), false, errControl, 0, 0},
		{"a fragmented pong", head(0x0a, 0x80), false, errControl, 0, 0},
		{"a fragmented close", head(0x08, 0x82), false, errControl, 0, 0},
		{"a text fragment", head(0x01, 0x83), true, nil, 3, 6},
		{"a continuation", head(0x00, 0x83), true, nil, 3, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, ok, err := parseHead(c.b)
			var v *violation
			if c.err != nil {
				if !errors.As(err, &v) || v != c.err || v.code != 1002 {
					t.Fatalf("err = %v, want %v (1002)", err, c.err)
				}
				return
			}
			if err != nil || ok != c.ok {
				t.Fatalf("ok %v err %v, want ok %v", ok, err, c.ok)
			}
			if ok && (h.n != c.n || h.size != c.size || !bytes.Equal(h.mask[:], mask)) {
				t.Fatalf("head = %+v, want n %d size %d mask % x", h, c.n, c.size, mask)
			}
		})
	}
}

func TestParseClose(t *testing.T) {
	body := func(code int, reason string) []byte {
		return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
	}
	for _, c := range []struct {
		name string
		p    []byte
		code int
		err  *violation
	}{
		{"no payload", nil, 1005, nil},
		{"one byte", []byte{0x03}, 0, errCloseCode},
		{"1000", body(1000, ""), 1000, nil},
		{"1000 with a reason", body(1000, "bye"), 1000, nil},
		{"3000", body(3000, ""), 3000, nil},
		{"4999", body(4999, ""), 4999, nil},
		{"0", body(0, ""), 0, errCloseCode},
		{"999", body(999, ""), 0, errCloseCode},
		{"1004", body(1004, ""), 0, errCloseCode},
		{"1005", body(1005, ""), 0, errCloseCode},
		{"1006", body(1006, ""), 0, errCloseCode},
		{"1015", body(1015, ""), 0, errCloseCode},
		{"2999", body(2999, ""), 0, errCloseCode},
		{"5000", body(5000, ""), 0, errCloseCode},
		{"a reason not UTF-8", body(1000, "\xff"), 0, errCloseReason},
		{"a reason cut inside a rune", body(1000, "κ\xce"), 0, errCloseReason},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, err := parseClose(c.p)
			if c.err != nil {
				var v *violation
				if !errors.As(err, &v) || v != c.err {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || code != c.code {
				t.Fatalf("parseClose = %d, %v; want %d", code, err, c.code)
			}
		})
	}
	if errCloseReason.code != 1007 || errCloseCode.code != 1002 {
		t.Fatalf("close violations carry %d and %d, want 1007 and 1002", errCloseReason.code, errCloseCode.code)
	}
}

// TestValidCloseCodes walks every 16-bit code against RFC 6455 §7.4 and the IANA registry.
func TestValidCloseCodes(t *testing.T) {
	for code := range 1 << 16 {
		want := code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006 || code >= 3000 && code <= 4999
		if validCloseCode(code) != want {
			t.Fatalf("validCloseCode(%d) = %v", code, !want)
		}
	}
}

func TestUnmask(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for n := range 40 {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		got := bytes.Clone(p)
		unmask(key, got)
		for i := range p {
			if got[i] != p[i]^key[i%4] {
				t.Fatalf("length %d: byte %d = %#x, want %#x", n, i, got[i], p[i]^key[i%4])
			}
		}
	}
}

func TestClosePayloadCutsOnARune(t *testing.T) {
	p := closePayload(4008, string(bytes.Repeat([]byte("é"), 100)))
	if len(p) > maxControlPayload || binary.BigEndian.Uint16(p) != 4008 || !utf8.Valid(p[2:]) {
		t.Fatalf("close payload of %d bytes, code %d, reason valid %v", len(p), binary.BigEndian.Uint16(p), utf8.Valid(p[2:]))
	}
}

func TestFramedHeaders(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		b := append(make([]byte, HeaderRoom), make([]byte, n)...)
		f := Framed(b)
		var want []byte
		switch {
		case n <= 125:
			want = []byte{0x82, byte(n)}
		case n <= 0xffff:
			want = binary.BigEndian.AppendUint16([]byte{0x82, 126}, uint16(n))
		default:
			want = binary.BigEndian.AppendUint64([]byte{0x82, 127}, uint64(n))
		}
		if !bytes.HasPrefix(f, want) || len(f) != len(want)+n {
			t.Fatalf("payload of %d: header % x, length %d", n, f[:len(want)], len(f))
		}
	}
}
