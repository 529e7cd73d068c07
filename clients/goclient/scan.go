package goclient

import (
	"encoding/binary"
	"errors"
	"math"
)

// errScan reports bytes that are not the msgpack the scanner expected.
var errScan = errors.New("tickwire: unexpected msgpack")

// scanner reads msgpack values in place, allocating nothing. The msgpack library's Decoder
// allocates a string for every map key it reads, which at 20 snapshots a second per bot is the
// largest cost of a lean client; the few fields a bot needs per frame (the envelope's t and d,
// the snapshot's tick and ack, one player's row) are read here instead. Frames are checked by
// wire.Validate first, yet every read is still bounds-checked, so a scanner never panics.
type scanner struct {
	b   []byte
	off int
	err error
}

func (s *scanner) fail() {
	if s.err == nil {
		s.err = errScan
	}
	s.off = len(s.b)
}

func (s *scanner) take(n int) []byte {
	if s.err != nil || n < 0 || n > len(s.b)-s.off {
		s.fail()
		return nil
	}
	p := s.b[s.off : s.off+n]
	s.off += n
	return p
}

func (s *scanner) byte1() byte {
	p := s.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (s *scanner) be(n int) uint64 {
	p := s.take(n)
	switch len(p) {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(p))
	case 4:
		return uint64(binary.BigEndian.Uint32(p))
	case 8:
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

// mapLen reads a map header.
func (s *scanner) mapLen() int {
	c := s.byte1()
	switch {
	case c >= 0x80 && c <= 0x8f:
		return int(c & 0x0f)
	case c == 0xde:
		return int(s.be(2))
	case c == 0xdf:
		return int(s.be(4))
	}
	s.fail()
	return 0
}

// arrayLen reads an array header.
func (s *scanner) arrayLen() int {
	c := s.byte1()
	switch {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f)
	case c == 0xdc:
		return int(s.be(2))
	case c == 0xdd:
		return int(s.be(4))
	}
	s.fail()
	return 0
}

// str reads a string and returns its bytes, which alias the frame.
func (s *scanner) str() []byte {
	c := s.byte1()
	switch {
	case c >= 0xa0 && c <= 0xbf:
		return s.take(int(c & 0x1f))
	case c == 0xd9:
		return s.take(int(s.be(1)))
	case c == 0xda:
		return s.take(int(s.be(2)))
	case c == 0xdb:
		return s.take(int(s.be(4)))
	}
	s.fail()
	return nil
}

// uint reads a non-negative integer of any width.
func (s *scanner) uint() uint64 {
	c := s.byte1()
	switch {
	case c <= 0x7f:
		return uint64(c)
	case c == 0xcc, c == 0xd0:
		v := s.be(1)
		if c == 0xd0 && v >= 0x80 {
			s.fail()
		}
		return v
	case c == 0xcd, c == 0xd1:
		v := s.be(2)
		if c == 0xd1 && v >= 0x8000 {
			s.fail()
		}
		return v
	case c == 0xce, c == 0xd2:
		v := s.be(4)
		if c == 0xd2 && v >= 0x80000000 {
			s.fail()
		}
		return v
	case c == 0xcf, c == 0xd3:
		v := s.be(8)
		if c == 0xd3 && v >= 1<<63 {
			s.fail()
		}
		return v
	}
	s.fail()
	return 0
}

// peek returns the next type byte without consuming it; 0xc1, never used, at the end.
func (s *scanner) peek() byte {
	if s.err != nil || s.off >= len(s.b) {
		s.fail()
		return 0xc1
	}
	return s.b[s.off]
}

// int reads an integer of any width.
func (s *scanner) int() int64 {
	switch c := s.peek(); {
	case c >= 0xe0:
		s.off++
		return int64(int8(c))
	case c == 0xd0:
		s.off++
		return int64(int8(s.be(1)))
	case c == 0xd1:
		s.off++
		return int64(int16(s.be(2)))
	case c == 0xd2:
		s.off++
		return int64(int32(s.be(4)))
	case c == 0xd3:
		s.off++
		return int64(s.be(8))
	}
	return int64(s.uint())
}

// float reads a float32, a float64 or an integer as a float32.
func (s *scanner) float() float32 {
	switch s.peek() {
	case 0xca:
		s.off++
		return math.Float32frombits(uint32(s.be(4)))
	case 0xcb:
		s.off++
		return float32(math.Float64frombits(s.be(8)))
	}
	return float32(s.int())
}

// skip steps over one value of any type, however nested.
func (s *scanner) skip() {
	for n := 1; n > 0 && s.err == nil; n-- {
		c := s.byte1()
		switch {
		case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		case c >= 0x80 && c <= 0x8f:
			n += 2 * int(c&0x0f)
		case c >= 0x90 && c <= 0x9f:
			n += int(c & 0x0f)
		case c >= 0xa0 && c <= 0xbf:
			s.take(int(c & 0x1f))
		case c == 0xc4, c == 0xd9:
			s.take(int(s.be(1)))
		case c == 0xc5, c == 0xda:
			s.take(int(s.be(2)))
		case c == 0xc6, c == 0xdb:
			s.take(int(s.be(4)))
		case c == 0xc7:
			s.take(int(s.be(1)) + 1)
		case c == 0xc8:
			s.take(int(s.be(2)) + 1)
		case c == 0xc9:
			s.take(int(s.be(4)) + 1)
		case c == 0xca, c == 0xce, c == 0xd2:
			s.take(4)
		case c == 0xcb, c == 0xcf, c == 0xd3:
			s.take(8)
		case c == 0xcc, c == 0xd0:
			s.take(1)
		case c == 0xcd, c == 0xd1, c == 0xd4:
			s.take(2)
		case c == 0xd5:
			s.take(3)
		case c == 0xd6:
			s.take(5)
		case c == 0xd7:
			s.take(9)
		case c == 0xd8:
			s.take(17)
		case c == 0xdc:
			n += int(s.be(2))
		case c == 0xdd:
			n += int(s.be(4))
		case c == 0xde:
			n += 2 * int(s.be(2))
		case c == 0xdf:
			n += 2 * int(s.be(4))
		default:
			s.fail()
		}
		if n > len(s.b) { // more values declared than bytes left: malformed
			s.fail()
		}
	}
}

// envelope reads a frame's t, id and raw d without copying.
func scanEnvelope(frame []byte) (t []byte, id uint64, d []byte, ok bool) {
	s := scanner{b: frame}
	for n := s.mapLen(); n > 0 && s.err == nil; n-- {
		switch string(s.str()) {
		case "t":
			t = s.str()
		case "id":
			id = s.uint()
		case "d":
			start := s.off
			if n == 1 {
				// The last entry, as servers write it: the payload runs to the end, and
				// walking it here only to find that end would read a snapshot twice.
				d = frame[start:]
				s.off = len(frame)
				continue
			}
			s.skip()
			d = frame[start:s.off]
		default:
			s.skip()
		}
	}
	return t, id, d, s.err == nil && t != nil
}

// scanTickAck reads a snapshot payload's tick and ack.
func scanTickAck(d []byte) (tick uint64, ack uint32, ok bool) {
	s := scanner{b: d}
	seen := 0
	for n := s.mapLen(); n > 0 && s.err == nil && seen < 2; n-- {
		switch string(s.str()) {
		case "tick":
			tick = s.uint()
			seen++
		case "ack":
			ack = uint32(s.uint())
			seen++
		default:
			s.skip()
		}
	}
	return tick, ack, s.err == nil
}
