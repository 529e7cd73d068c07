package game

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/tickwire/tickwire/server/wire"
)

// Fields reads an input message's map entries in place, allocating nothing: a game's Input
// walks them with Next and reads the values of the keys it knows, skipping the rest.
//
//	f := game.NewFields(msg)
//	for f.Next() {
//		switch f.Key() {
//		case "dx":
//			dx = f.Float32()
//		default:
//			f.Skip()
//		}
//	}
//	if err := f.Err(); err != nil { ... }
//
// Every value must be read or skipped before the next Next. A nil value reads as the zero of
// the type asked for. The first failure (a value of another type, or out of the type's range)
// sticks: every later read returns a zero value, Next reports false, and Err reports the
// failure with the key it was met at.
//
// Inputs are what every player sends every tick, so the common encodings (short keys, small
// integers, float32 and float64) are read here directly; anything else goes through
// server/wire's Reader.
type Fields struct {
	b   []byte
	off int
	n   int
	key []byte
	err error
}

// errNotMap reports a message that is not a map of fields.
var errNotMap = errors.New("input is not a map of fields")

// NewFields returns a reader of msg, a msgpack map as Game.Input receives it.
func NewFields(msg []byte) Fields {
	f := Fields{b: msg}
	if len(msg) > 0 && msg[0] >= 0x80 && msg[0] <= 0x8f {
		f.n, f.off = int(msg[0]&0x0f), 1
		return f
	}
	r := wire.NewReader(msg)
	if r.Nil() {
		return f
	}
	f.n = r.MapLen()
	if r.Err() != nil {
		f.err = errNotMap
	}
	f.off = r.Offset()
	return f
}

// reader returns a wire.Reader at the current value.
func (f *Fields) reader() wire.Reader { return wire.NewReader(f.b[f.off:]) }

// moved accounts for what r read, and keeps its failure.
func (f *Fields) moved(r *wire.Reader) {
	f.off += r.Offset()
	if err := r.Err(); err != nil {
		f.fail(err)
	}
}

func (f *Fields) fail(err error) {
	if f.err == nil {
		f.err = fmt.Errorf("%s: %w", f.key, err)
		f.off = len(f.b)
	}
}

// Next moves to the next entry and reports whether there is one.
func (f *Fields) Next() bool {
	if f.n <= 0 || f.err != nil {
		return false
	}
	f.n--
	// A key of up to 31 bytes, the common case, is read here; Next stays small enough to be
	// inlined into a game's loop.
	if f.off < len(f.b) {
		if c := f.b[f.off]; c&0xe0 == 0xa0 {
			if end := f.off + 1 + int(c&0x1f); end <= len(f.b) {
				f.key = f.b[f.off+1 : end : end]
				f.off = end
				return true
			}
		}
	}
	return f.nextKey()
}

// nextKey reads a key of any other form.
func (f *Fields) nextKey() bool {
	r := f.reader()
	f.key = r.Str()
	f.off += r.Offset()
	if r.Err() != nil {
		f.err = errNotMap
		return false
	}
	return true
}

// Key returns the current entry's key without copying it: the string shares the message's
// bytes, so it is valid only during Game.Input; keep a copy (strings.Clone) to hold it.
func (f *Fields) Key() string { return unsafe.String(unsafe.SliceData(f.key), len(f.key)) }

// KeyBytes returns the current entry's key as a slice of the message.
func (f *Fields) KeyBytes() []byte { return f.key }

// peek returns the current value's first byte, and false at the end or after a failure.
func (f *Fields) peek() (byte, bool) {
	if f.err != nil || f.off >= len(f.b) {
		return 0, false
	}
	return f.b[f.off], true
}

// Uint reads an unsigned integer.
func (f *Fields) Uint() uint64 {
	c, ok := f.peek()
	switch {
	case !ok:
		return 0
	case c <= 0x7f:
		f.off++
		return uint64(c)
	case c == 0xc0:
		f.off++
		return 0
	}
	r := f.reader()
	v := r.Uint()
	f.moved(&r)
	return v
}

// Int reads a signed integer.
func (f *Fields) Int() int64 {
	c, ok := f.peek()
	switch {
	case !ok:
		return 0
	case c <= 0x7f:
		f.off++
		return int64(c)
	case c >= 0xe0:
		f.off++
		return int64(int8(c))
	case c == 0xc0:
		f.off++
		return 0
	}
	r := f.reader()
	v := r.Int()
	f.moved(&r)
	return v
}

// Float32 reads any number (float32, float64 or integer) as a float32, rounding once.
func (f *Fields) Float32() float32 {
	c, ok := f.peek()
	if !ok {
		return 0
	}
	switch left := len(f.b) - f.off; {
	case c == 0xca && left >= 5:
		v := math.Float32frombits(binary.BigEndian.Uint32(f.b[f.off+1:]))
		f.off += 5
		return v
	case c == 0xcb && left >= 9:
		v := float32(math.Float64frombits(binary.BigEndian.Uint64(f.b[f.off+1:])))
		f.off += 9
		return v
	case c <= 0x7f:
		f.off++
		return float32(c)
	case c >= 0xe0:
		f.off++
		return float32(int8(c))
	case c == 0xc0:
		f.off++
		return 0
	}
	r := f.reader()
	v := r.Float32()
	f.moved(&r)
	return v
}

// Bool reads true or false.
func (f *Fields) Bool() bool {
	c, ok := f.peek()
	if !ok {
		return false
	}
	switch c {
	case 0xc3:
		f.off++
		return true
	case 0xc2, 0xc0:
		f.off++
		return false
	}
	f.Skip()
	f.fail(wire.ErrType)
	return false
}

// Str reads a string as a slice of the message.
func (f *Fields) Str() []byte {
	c, ok := f.peek()
	if !ok {
		return nil
	}
	if c == 0xc0 {
		f.off++
		return nil
	}
	r := f.reader()
	v := r.Str()
	f.moved(&r)
	return v
}

// Raw returns the current value's raw msgpack bytes, a slice of the message, for a value
// decoded another way (the msgpack library's Unmarshal, say).
func (f *Fields) Raw() []byte {
	start := f.off
	f.Skip()
	if f.err != nil {
		return nil
	}
	return f.b[start:f.off:f.off]
}

// Skip steps over the current value.
func (f *Fields) Skip() {
	c, ok := f.peek()
	if !ok {
		return
	}
	if n := scalarSize(c); n > 0 && f.off+n <= len(f.b) {
		f.off += n
		return
	}
	r := f.reader()
	r.Skip()
	f.moved(&r)
}

// Err returns the first failure, naming the key it was met at, or nil.
func (f *Fields) Err() error { return f.err }

// scalarSize is the size of a value of fixed size that starts with c (a nil, a boolean, a
// number, a short string), or 0 for any other.
func scalarSize(c byte) int {
	switch {
	case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return 1
	case c >= 0xa0 && c <= 0xbf:
		return 1 + int(c&0x1f)
	case c == 0xcc || c == 0xd0:
		return 2
	case c == 0xcd || c == 0xd1:
		return 3
	case c == 0xce || c == 0xd2 || c == 0xca:
		return 5
	case c == 0xcf || c == 0xd3 || c == 0xcb:
		return 9
	}
	return 0
}
