package game

import (
	"fmt"
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
// the type asked for. The first failure (a value of another type) sticks, and Err reports it
// with the key it was met at.
type Fields struct {
	r       wire.Reader
	n       int
	key     []byte
	bad     string // the key whose value failed
	typeErr bool   // a value was of another type than the one asked for
}

// NewFields returns a reader of msg, a msgpack map as Game.Input receives it.
func NewFields(msg []byte) Fields {
	f := Fields{r: wire.NewReader(msg)}
	if !f.r.Nil() {
		f.n = f.r.MapLen()
	}
	return f
}

// Next moves to the next entry and reports whether there is one.
func (f *Fields) Next() bool {
	if f.n <= 0 || f.r.Err() != nil {
		return false
	}
	f.n--
	f.key = f.r.Str()
	return f.r.Err() == nil
}

// Key returns the current entry's key without copying it: the string shares the message's
// bytes, so it is valid only during Game.Input; keep a copy (strings.Clone) to hold it.
func (f *Fields) Key() string { return unsafe.String(unsafe.SliceData(f.key), len(f.key)) }

// KeyBytes returns the current entry's key as a slice of the message.
func (f *Fields) KeyBytes() []byte { return f.key }

func (f *Fields) failed() {
	if f.bad == "" && f.r.Err() != nil {
		f.bad = string(f.key)
	}
}

// Uint reads an unsigned integer.
func (f *Fields) Uint() uint64 {
	if f.r.Nil() {
		return 0
	}
	v := f.r.Uint()
	f.failed()
	return v
}

// Int reads a signed integer.
func (f *Fields) Int() int64 {
	if f.r.Nil() {
		return 0
	}
	v := f.r.Int()
	f.failed()
	return v
}

// Float32 reads any number (float32, float64 or integer) as a float32, rounding once.
func (f *Fields) Float32() float32 {
	if f.r.Nil() {
		return 0
	}
	v := f.r.Float32()
	f.failed()
	return v
}

// Bool reads true or false.
func (f *Fields) Bool() bool {
	if f.r.Nil() {
		return false
	}
	var v bool
	switch f.r.Peek() {
	case 0xc3:
		v = true
		f.r.Skip()
	case 0xc2:
		f.r.Skip()
	default:
		f.r.Skip()
		if f.bad == "" {
			f.bad = string(f.key)
		}
		f.typeErr = true
	}
	return v
}

// Str reads a string as a slice of the message.
func (f *Fields) Str() []byte {
	if f.r.Nil() {
		return nil
	}
	v := f.r.Str()
	f.failed()
	return v
}

// Raw returns the current value's raw msgpack bytes, a slice of the message, for a value
// decoded another way (the msgpack library's Unmarshal, say).
func (f *Fields) Raw() []byte {
	start := f.r.Offset()
	f.r.Skip()
	f.failed()
	return f.r.Since(start)
}

// Skip steps over the current value.
func (f *Fields) Skip() {
	f.r.Skip()
	f.failed()
}

// Err returns the first failure, naming the key it was met at, or nil.
func (f *Fields) Err() error {
	if f.typeErr {
		return fmt.Errorf("%s has the wrong type", f.bad)
	}
	if err := f.r.Err(); err != nil {
		if f.bad != "" {
			return fmt.Errorf("%s has the wrong type", f.bad)
		}
		return fmt.Errorf("input is not a map of fields")
	}
	return nil
}
