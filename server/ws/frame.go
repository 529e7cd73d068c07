package ws

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/wire"
)

// The client's half of RFC 6455 framing, read by hand. Gorilla performs the upgrade; after it,
// a Conn reads frames straight off the network connection rather than through gorilla's
// NextReader. A socket here carries one tiny message per tick, so what matters is the cost per
// message, and gorilla's reader (a buffered reader over the connection, a reader object per
// message, a read that comes back empty after every message) costs as much again as the game
// itself at a thousand players. Reading by hand lets a socket parse every frame a single read
// returns, in place, from a buffer it borrows only while there are bytes, and lets the reader
// wait for the next bytes right after a short read instead of first reading nothing
// (conn_linux.go). Writing is by hand too (write.go).

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

const (
	maxControlPayload    = 125
	maxFrameHeader       = 14 // 2 + 8 bytes of length + 4 of mask
	maxCloseReasonLength = maxControlPayload - 2
)

// frameHead is one parsed frame header.
type frameHead struct {
	fin  bool
	op   byte
	size int // header bytes, mask included
	n    int // payload bytes
	mask [4]byte
}

// violation is a client frame that breaks the protocol: the socket closes with code.
type violation struct {
	code   int
	reason string
}

func (v *violation) Error() string { return v.reason }

var (
	errReserved     = &violation{wire.CloseProtocolError, "reserved bits set"}
	errOpcode       = &violation{wire.CloseProtocolError, "unknown opcode"}
	errUnmasked     = &violation{wire.CloseProtocolError, "client frames must be masked"}
	errControl      = &violation{wire.CloseProtocolError, "control frame fragmented or over 125 bytes"}
	errLength       = &violation{wire.CloseProtocolError, "frame length out of range"}
	errContinuation = &violation{wire.CloseProtocolError, "continuation without a message"}
	errInterleaved  = &violation{wire.CloseProtocolError, "new message inside a fragmented one"}
	errCloseCode    = &violation{wire.CloseProtocolError, "invalid close code"}
	errCloseReason  = &violation{wire.CloseInvalidPayload, "close reason is not UTF-8"}
	errText         = &violation{wire.CloseInvalidPayload, "text message is not UTF-8"}
)

// parseHead parses the frame header at the start of b. It returns ok false when b holds only
// part of the header. The payload length is checked only for sanity here (at most 2^63-1, and
// representable as an int); the message size limit is the caller's.
func parseHead(b []byte) (h frameHead, ok bool, err error) {
	if len(b) < 2 {
		return h, false, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 {
		return h, false, errReserved
	}
	h.fin, h.op = b0&0x80 != 0, b0&0x0f
	switch h.op {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
	default:
		return h, false, errOpcode
	}
	if b1&0x80 == 0 {
		return h, false, errUnmasked
	}
	n, size := int(b1&0x7f), 2
	switch n {
	case 126:
		size += 2
	case 127:
		size += 8
	}
	if h.op >= opClose && (!h.fin || n > maxControlPayload) {
		return h, false, errControl
	}
	if len(b) < size+4 {
		return h, false, nil
	}
	switch n {
	case 126:
		n = int(binary.BigEndian.Uint16(b[2:]))
	case 127:
		v := binary.BigEndian.Uint64(b[2:])
		if v>>63 != 0 || v > uint64(maxInt) {
			return h, false, errLength
		}
		n = int(v)
	}
	copy(h.mask[:], b[size:size+4])
	h.size, h.n = size+4, n
	return h, true, nil
}

const maxInt = int(^uint(0) >> 1)

// unmask XORs b with the masking key, starting at key byte 0, eight bytes at a time.
func unmask(key [4]byte, b []byte) {
	if len(b) >= 8 {
		k := uint64(binary.LittleEndian.Uint32(key[:]))
		k |= k << 32
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// parseClose reads a client's close payload: its code (wire.CloseNoStatus when it has none) or
// the violation it commits.
func parseClose(p []byte) (int, error) {
	switch {
	case len(p) == 0:
		return wire.CloseNoStatus, nil
	case len(p) == 1:
		return 0, errCloseCode
	}
	code := int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return 0, errCloseCode
	}
	if !utf8.Valid(p[2:]) {
		return 0, errCloseReason
	}
	return code, nil
}

// validCloseCode reports whether a peer may send code in a close frame (RFC 6455 §7.4 and the
// IANA registry): the defined codes but 1004, 1005, 1006 and 1015, and 3000-4999.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1014:
		return code != 1004 && code != 1005 && code != 1006
	default:
		return code >= 3000 && code <= 4999
	}
}

// appendControl appends an unmasked server control frame (close, ping, pong) with payload p,
// which the caller keeps within maxControlPayload.
func appendControl(b []byte, op byte, p []byte) []byte {
	b = append(b, 0x80|op, byte(len(p)))
	return append(b, p...)
}

// closePayload is the payload of a close frame: the code and a reason cut to fit, on a rune
// boundary.
func closePayload(code int, reason string) []byte {
	for len(reason) > maxCloseReasonLength {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	p := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	return append(p, reason...)
}

// HeaderRoom is the room kept in front of a data frame's payload for its WebSocket header:
// Send, SendLatest and Framed take a payload behind HeaderRoom bytes and write the header into
// them, so that a frame is encoded once and written without a copy.
const HeaderRoom = 10

// putHeader writes the header of a final server frame of opcode op and n payload bytes at
// the end of room, which is HeaderRoom bytes, and returns where the frame starts.
func putHeader(room []byte, n int, op byte) int {
	switch {
	case n <= 125:
		room[8], room[9] = 0x80|op, byte(n)
		return 8
	case n <= 0xffff:
		room[6], room[7], room[8], room[9] = 0x80|op, 126, byte(n>>8), byte(n)
		return 6
	default:
		room[0], room[1] = 0x80|op, 127
		for i := range 8 {
			room[2+i] = byte(uint64(n) >> (56 - 8*i))
		}
		return 0
	}
}

// Framed writes the header of a binary frame into the HeaderRoom bytes in front of b's payload
// and returns the whole frame, a subslice of b.
func Framed(b []byte) []byte { return framedAs(b, opBinary) }

func framedAs(b []byte, op byte) []byte {
	return b[putHeader(b[:HeaderRoom], len(b)-HeaderRoom, op):]
}
