package wire

import (
	"encoding/binary"
	"errors"
)

// Limits bound what one frame may declare. The msgpack library trusts a frame's declared array,
// map and string lengths and allocates for them before reading the elements, so a five-byte
// frame can ask it for gigabytes; Validate walks the bytes first and refuses any length that the
// bytes left cannot hold. No library does this walk for us, hence the hand-written scanner.
type Limits struct {
	// MaxBytes bounds the frame's size; zero means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth bounds nesting of arrays and maps; zero means DefaultMaxDepth.
	MaxDepth int
	// MaxElems bounds the total count of values in one frame (map keys count); zero means
	// DefaultMaxElems.
	MaxElems int
}

// Defaults for Limits.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxDepth = 8
	DefaultMaxElems = 4096
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElems <= 0 {
		l.MaxElems = DefaultMaxElems
	}
	return l
}

// Validation errors. Every error Validate returns wraps one of them.
var (
	ErrTooLarge  = errors.New("wire: frame larger than the limit")
	ErrTruncated = errors.New("wire: frame truncated or a length exceeds the bytes left")
	ErrTooDeep   = errors.New("wire: frame nested too deeply")
	ErrTooMany   = errors.New("wire: frame has too many values")
	ErrBadByte   = errors.New("wire: invalid or unsupported msgpack type byte")
	ErrBadKey    = errors.New("wire: map key is not a string")
	ErrTrailing  = errors.New("wire: bytes after the frame's value")
)

// Validate checks that b holds exactly one well-formed msgpack value within l's bounds: every
// declared length fits in the bytes that follow it, nesting and the count of values stay under
// l's, map keys are strings, and no extension type appears (the protocol uses none). It
// allocates nothing and takes time linear in len(b): every value it visits consumes at least one
// byte, and a container is refused before its children are visited unless the bytes left could
// hold them.
func Validate(b []byte, l Limits) error {
	l = l.withDefaults()
	if len(b) > l.MaxBytes {
		return ErrTooLarge
	}
	v := validator{b: b, elems: l.MaxElems}
	if err := v.value(l.MaxDepth); err != nil {
		return err
	}
	if v.off != len(b) {
		return ErrTrailing
	}
	return nil
}

// validator walks one msgpack value. Decode reuses it, with limits it cannot reach, to skip
// values it has no use for.
type validator struct {
	b     []byte
	off   int
	elems int
}

func (v *validator) left() uint64 { return uint64(len(v.b) - v.off) }

func (v *validator) skip(n uint64) error {
	if n > v.left() {
		return ErrTruncated
	}
	v.off += int(n)
	return nil
}

// uintN reads a big-endian length of size bytes (1, 2 or 4).
func (v *validator) uintN(size int) (uint64, error) {
	if uint64(size) > v.left() {
		return 0, ErrTruncated
	}
	p := v.b[v.off : v.off+size]
	v.off += size
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	default:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
}

// array checks that n elements, each taking at least one byte, can fit, then walks them.
func (v *validator) array(n uint64, depth int) error {
	if depth <= 0 {
		return ErrTooDeep
	}
	if n > v.left() {
		return ErrTruncated
	}
	for ; n > 0; n-- {
		if err := v.value(depth - 1); err != nil {
			return err
		}
	}
	return nil
}

// dict checks that n key and value pairs (two bytes at least each) can fit, then walks them.
func (v *validator) dict(n uint64, depth int) error {
	if depth <= 0 {
		return ErrTooDeep
	}
	if 2*n > v.left() { // n < 2^32, so 2*n cannot overflow
		return ErrTruncated
	}
	for ; n > 0; n-- {
		if v.off < len(v.b) && !isStr(v.b[v.off]) {
			return ErrBadKey
		}
		if err := v.value(depth - 1); err != nil {
			return err
		}
		if err := v.value(depth - 1); err != nil {
			return err
		}
	}
	return nil
}

func isStr(c byte) bool { return c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb }

func (v *validator) value(depth int) error {
	if v.elems--; v.elems < 0 {
		return ErrTooMany
	}
	if v.off >= len(v.b) {
		return ErrTruncated
	}
	c := v.b[v.off]
	v.off++
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixints, nil, false, true
		return nil
	case c <= 0x8f:
		return v.dict(uint64(c&0x0f), depth)
	case c <= 0x9f:
		return v.array(uint64(c&0x0f), depth)
	case c <= 0xbf:
		return v.skip(uint64(c & 0x1f))
	}
	switch c {
	case 0xc4, 0xd9: // bin8, str8
		return v.sized(1)
	case 0xc5, 0xda: // bin16, str16
		return v.sized(2)
	case 0xc6, 0xdb: // bin32, str32
		return v.sized(4)
	case 0xcc, 0xd0: // uint8, int8
		return v.skip(1)
	case 0xcd, 0xd1:
		return v.skip(2)
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return v.skip(4)
	case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
		return v.skip(8)
	case 0xdc: // array16
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.array(n, depth)
	case 0xdd: // array32
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.array(n, depth)
	case 0xde: // map16
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.dict(n, depth)
	case 0xdf: // map32
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.dict(n, depth)
	}
	// 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are extension types, which the protocol
	// does not use and which the msgpack library would turn into values of registered types.
	return ErrBadByte
}

// sized skips a body whose length is written in lenSize bytes.
func (v *validator) sized(lenSize int) error {
	n, err := v.uintN(lenSize)
	if err != nil {
		return err
	}
	return v.skip(n)
}
