package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits bound what one frame may declare. The msgpack library trusts a frame's declared array,
// map and string lengths and allocates for them before reading the elements, so a five-byte
// frame can ask it for gigabytes; Validate walks the bytes first and refuses any length that the
// bytes left cannot hold. No library does this walk for us, hence the hand-written scanner.
type Limits struct {
	// MaxDepth bounds nesting of arrays and maps; zero means DefaultMaxDepth.
	MaxDepth int
	// MaxElems bounds the total count of values in one frame; zero means DefaultMaxElems.
	MaxElems int
}

// Defaults for Limits.
const (
	DefaultMaxDepth = 8
	DefaultMaxElems = 4096
)

// Validation errors.
var (
	ErrTruncated = errors.New("wire: frame truncated or a length exceeds the bytes left")
	ErrTooDeep   = errors.New("wire: frame nested too deeply")
	ErrTooMany   = errors.New("wire: frame has too many values")
	ErrBadByte   = errors.New("wire: invalid msgpack type byte")
	ErrTrailing  = errors.New("wire: bytes after the frame's value")
)

// Validate checks that b holds exactly one well-formed msgpack value within l's bounds, and
// that every declared length fits in the bytes that follow it. It allocates nothing.
func Validate(b []byte, l Limits) error {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElems <= 0 {
		l.MaxElems = DefaultMaxElems
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

type validator struct {
	b     []byte
	off   int
	elems int
}

func (v *validator) need(n uint64) error {
	if n > uint64(len(v.b)-v.off) {
		return ErrTruncated
	}
	return nil
}

func (v *validator) skip(n uint64) error {
	if err := v.need(n); err != nil {
		return err
	}
	v.off += int(n)
	return nil
}

// uintN reads a big-endian length of size bytes.
func (v *validator) uintN(size int) (uint64, error) {
	if err := v.need(uint64(size)); err != nil {
		return 0, err
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

// container checks n children, each taking at least one byte, then walks them.
func (v *validator) container(n uint64, perElem uint64, depth int) error {
	if depth <= 0 {
		return ErrTooDeep
	}
	total := n * perElem
	if n > uint64(len(v.b)) || v.need(total) != nil {
		return ErrTruncated
	}
	for i := uint64(0); i < total; i++ {
		if err := v.value(depth - 1); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) value(depth int) error {
	if v.elems--; v.elems < 0 {
		return ErrTooMany
	}
	if err := v.need(1); err != nil {
		return err
	}
	c := v.b[v.off]
	v.off++
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return nil
	case c >= 0x80 && c <= 0x8f:
		return v.container(uint64(c&0x0f), 2, depth)
	case c >= 0x90 && c <= 0x9f:
		return v.container(uint64(c&0x0f), 1, depth)
	case c >= 0xa0 && c <= 0xbf:
		return v.skip(uint64(c & 0x1f))
	}
	switch c {
	case 0xc4, 0xd9: // bin8, str8
		return v.sized(1, 0)
	case 0xc5, 0xda:
		return v.sized(2, 0)
	case 0xc6, 0xdb:
		return v.sized(4, 0)
	case 0xc7: // ext8: length, type, data
		return v.sized(1, 1)
	case 0xc8:
		return v.sized(2, 1)
	case 0xc9:
		return v.sized(4, 1)
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return v.skip(4)
	case 0xcb, 0xcf, 0xd3:
		return v.skip(8)
	case 0xcc, 0xd0:
		return v.skip(1)
	case 0xcd, 0xd1:
		return v.skip(2)
	case 0xd4:
		return v.skip(2)
	case 0xd5:
		return v.skip(3)
	case 0xd6:
		return v.skip(5)
	case 0xd7:
		return v.skip(9)
	case 0xd8:
		return v.skip(17)
	case 0xdc:
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.container(n, 1, depth)
	case 0xdd:
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.container(n, 1, depth)
	case 0xde:
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.container(n, 2, depth)
	case 0xdf:
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.container(n, 2, depth)
	}
	return fmt.Errorf("%w 0x%02x", ErrBadByte, c)
}

// sized skips a length-prefixed body of extra+length bytes.
func (v *validator) sized(lenSize int, extra uint64) error {
	n, err := v.uintN(lenSize)
	if err != nil {
		return err
	}
	return v.skip(n + extra)
}
