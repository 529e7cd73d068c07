package wire

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrType reports a value of another type than the one a Reader was asked for, or an integer
// that does not fit the width asked for.
var ErrType = errors.New("wire: msgpack value of an unexpected type")

// maxSkipDepth bounds the nesting Skip steps through. Frames a server accepted are at most
// Limits.MaxDepth deep already; this bound is for bytes nothing validated, such as the
// snapshots a client reads, so that a hostile peer cannot make Skip recurse without end.
const maxSkipDepth = 64

// Reader reads msgpack values in place from a byte slice and allocates nothing: strings come back
// as slices of the input. It is the package's one msgpack reader: Validate walks frames with it,
// Decode and the input fast path read the envelope and the input with it, and clients read
// snapshots with it.
//
// Every read checks what it declares against the bytes left, and Skip bounds nesting, so a
// Reader is safe on any bytes: a hostile input costs time linear in its length and no memory.
// The first failure sticks: the Reader moves to the end of its input, every later read returns
// a zero value, and Err reports the failure (ErrTruncated, ErrType, ErrBadByte, ErrBadKey or
// ErrTooDeep). Code that reads several values checks Err once after them.
type Reader struct {
	b     []byte
	off   int
	err   error
	elems int // values walk may still visit, for Validate's MaxElems
}

// NewReader returns a Reader at the start of b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Err returns the first failure, or nil.
func (r *Reader) Err() error { return r.err }

// Offset is how many bytes have been read.
func (r *Reader) Offset() int { return r.off }

// Len is how many bytes are left.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Since returns the bytes read from offset start (an earlier Offset) to here: the raw form of
// the values read in between, a slice of the input (not a copy).
func (r *Reader) Since(start int) []byte { return r.b[start:r.off:r.off] }

// Rest returns the bytes left and moves to the end, as if they had been read.
func (r *Reader) Rest() []byte {
	p := r.b[r.off:]
	r.off = len(r.b)
	return p
}

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.b)
}

// Peek returns the next type byte without reading it; 0xc1, a byte msgpack never uses, at the
// end or after a failure.
func (r *Reader) Peek() byte {
	if r.off >= len(r.b) {
		return 0xc1
	}
	return r.b[r.off]
}

// Nil reads a nil and reports true when the next value is one; otherwise it reads nothing.
func (r *Reader) Nil() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xc0 {
		r.off++
		return true
	}
	return false
}

// be reads the type byte and the n-byte big-endian number after it (n is 1, 2, 4 or 8).
func (r *Reader) be(n int) uint64 {
	if n >= len(r.b)-r.off {
		r.fail(ErrTruncated)
		return 0
	}
	p := r.b[r.off+1 : r.off+1+n]
	r.off += 1 + n
	switch n {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(p))
	case 4:
		return uint64(binary.BigEndian.Uint32(p))
	}
	return binary.BigEndian.Uint64(p)
}

// MapLen reads a map header and returns its count of key and value pairs.
func (r *Reader) MapLen() int {
	c := r.Peek()
	switch {
	case c >= 0x80 && c <= 0x8f:
		r.off++
		return int(c & 0x0f)
	case c == 0xde:
		return int(r.be(2))
	case c == 0xdf:
		return int(r.be(4))
	}
	r.mismatch()
	return 0
}

// ArrayLen reads an array header and returns its count of elements.
func (r *Reader) ArrayLen() int {
	c := r.Peek()
	switch {
	case c >= 0x90 && c <= 0x9f:
		r.off++
		return int(c & 0x0f)
	case c == 0xdc:
		return int(r.be(2))
	case c == 0xdd:
		return int(r.be(4))
	}
	r.mismatch()
	return 0
}

// Str reads a str and returns its bytes, a slice of the input.
func (r *Reader) Str() []byte {
	c := r.Peek()
	var n uint64
	switch {
	case c >= 0xa0 && c <= 0xbf:
		r.off++
		n = uint64(c & 0x1f)
	case c == 0xd9:
		n = r.be(1)
	case c == 0xda:
		n = r.be(2)
	case c == 0xdb:
		n = r.be(4)
	default:
		r.mismatch()
		return nil
	}
	return r.take(n)
}

// take reads n raw bytes.
func (r *Reader) take(n uint64) []byte {
	if n > uint64(len(r.b)-r.off) {
		r.fail(ErrTruncated)
		return nil
	}
	p := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return p
}

// mismatch fails with ErrType, or with ErrTruncated when there is no value at all.
func (r *Reader) mismatch() {
	if r.off >= len(r.b) {
		r.fail(ErrTruncated)
		return
	}
	r.fail(ErrType)
}

// integer reads an integer of any width: v holds its bits, and neg says it is a negative
// signed integer (v is then its two's complement).
func (r *Reader) integer() (v uint64, neg bool) {
	c := r.Peek()
	switch {
	case c <= 0x7f:
		r.off++
		return uint64(c), false
	case c >= 0xe0:
		r.off++
		return uint64(int64(int8(c))), true
	}
	switch c {
	case 0xcc:
		return r.be(1), false
	case 0xcd:
		return r.be(2), false
	case 0xce:
		return r.be(4), false
	case 0xcf:
		return r.be(8), false
	case 0xd0:
		i := int64(int8(r.be(1)))
		return uint64(i), i < 0
	case 0xd1:
		i := int64(int16(r.be(2)))
		return uint64(i), i < 0
	case 0xd2:
		i := int64(int32(r.be(4)))
		return uint64(i), i < 0
	case 0xd3:
		i := int64(r.be(8))
		return uint64(i), i < 0
	}
	r.mismatch()
	return 0, false
}

// Uint reads a non-negative integer of any width, signed or unsigned.
func (r *Reader) Uint() uint64 {
	v, neg := r.integer()
	if neg {
		r.fail(ErrType)
		return 0
	}
	return v
}

// Int reads an integer of any width that fits an int64.
func (r *Reader) Int() int64 {
	v, neg := r.integer()
	if !neg && v > math.MaxInt64 {
		r.fail(ErrType)
		return 0
	}
	return int64(v)
}

// Float32 reads a float32, a float64 or an integer as a float32, rounding once.
func (r *Reader) Float32() float32 {
	switch r.Peek() {
	case 0xca:
		return math.Float32frombits(uint32(r.be(4)))
	case 0xcb:
		return float32(math.Float64frombits(r.be(8)))
	}
	v, neg := r.integer()
	if neg {
		return float32(int64(v))
	}
	return float32(v)
}

// Skip steps over one value of any type, however it nests up to a bound far past what frames
// use; map keys must be strings and extension types are refused, as Validate does.
func (r *Reader) Skip() {
	r.elems = math.MaxInt
	if err := r.walk(maxSkipDepth); err != nil {
		r.fail(err)
	}
}

// walk steps over one value nested at most depth deep, counting it and every value in it
// against r.elems. A container is refused before its children are visited unless the bytes
// left could hold them (each takes one byte at least), so the walk takes time linear in the
// bytes and allocates nothing. It returns its failure rather than keeping it, which keeps the
// loop over a snapshot's thousands of values tight; Skip and Validate keep or return it.
func (r *Reader) walk(depth int) error {
	if r.elems--; r.elems < 0 {
		return ErrTooMany
	}
	if r.off >= len(r.b) {
		return ErrTruncated
	}
	c := r.b[r.off]
	r.off++
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixints, nil, false, true
		return nil
	case c <= 0x8f:
		return r.walkMap(uint64(c&0x0f), depth)
	case c <= 0x9f:
		return r.walkArray(uint64(c&0x0f), depth)
	case c <= 0xbf:
		return r.pass(uint64(c & 0x1f))
	}
	switch c {
	case 0xc4, 0xd9: // bin8, str8
		return r.sized(1)
	case 0xc5, 0xda: // bin16, str16
		return r.sized(2)
	case 0xc6, 0xdb: // bin32, str32
		return r.sized(4)
	case 0xcc, 0xd0: // uint8, int8
		return r.pass(1)
	case 0xcd, 0xd1:
		return r.pass(2)
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return r.pass(4)
	case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
		return r.pass(8)
	case 0xdc, 0xdd: // array16, array32
		n, err := r.length(2 << (c - 0xdc))
		if err != nil {
			return err
		}
		return r.walkArray(n, depth)
	case 0xde, 0xdf: // map16, map32
		n, err := r.length(2 << (c - 0xde))
		if err != nil {
			return err
		}
		return r.walkMap(n, depth)
	}
	// 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are extension types, which the protocol
	// does not use and which the msgpack library would turn into values of registered types.
	return ErrBadByte
}

// pass steps over n bytes.
func (r *Reader) pass(n uint64) error {
	if n > uint64(len(r.b)-r.off) {
		return ErrTruncated
	}
	r.off += int(n)
	return nil
}

// length reads a big-endian length of size bytes (1, 2 or 4).
func (r *Reader) length(size int) (uint64, error) {
	if size > len(r.b)-r.off {
		return 0, ErrTruncated
	}
	p := r.b[r.off : r.off+size]
	r.off += size
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	}
	return uint64(binary.BigEndian.Uint32(p)), nil
}

// sized steps over a body whose length is written in lenSize bytes.
func (r *Reader) sized(lenSize int) error {
	n, err := r.length(lenSize)
	if err != nil {
		return err
	}
	return r.pass(n)
}

// walkArray checks that n elements, each taking at least one byte, can fit, then walks them.
func (r *Reader) walkArray(n uint64, depth int) error {
	if depth <= 0 {
		return ErrTooDeep
	}
	if n > uint64(len(r.b)-r.off) {
		return ErrTruncated
	}
	for ; n > 0; n-- {
		if err := r.walk(depth - 1); err != nil {
			return err
		}
	}
	return nil
}

// walkMap checks that n key and value pairs (two bytes at least each) can fit, then walks them.
func (r *Reader) walkMap(n uint64, depth int) error {
	if depth <= 0 {
		return ErrTooDeep
	}
	if 2*n > uint64(len(r.b)-r.off) { // n < 2^32, so 2*n cannot overflow
		return ErrTruncated
	}
	for ; n > 0; n-- {
		if r.off < len(r.b) && !isStr(r.b[r.off]) {
			return ErrBadKey
		}
		if err := r.walk(depth - 1); err != nil {
			return err
		}
		if err := r.walk(depth - 1); err != nil {
			return err
		}
	}
	return nil
}

func isStr(c byte) bool { return c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb }

func isMap(c byte) bool { return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf }
