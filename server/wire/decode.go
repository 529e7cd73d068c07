package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// ErrNotEnvelope reports a frame that is valid msgpack but not an envelope: not a map, or
// without a string t, or with an id that is not an unsigned integer, or a d that is not a map.
var ErrNotEnvelope = errors.New("wire: frame is not an envelope map with a string t")

// ErrPayload reports a payload whose fields have the wrong types or ranges.
var ErrPayload = errors.New("wire: bad payload")

// Decode validates frame against l and decodes its envelope. The payload stays raw in D, a
// slice of frame (not a copy), until DecodePayload decodes it into the type's struct.
//
// The envelope is read by hand rather than by the msgpack library: every frame a client sends
// passes here, and reading three known keys from an already validated map needs no reflection
// and no allocation (T is one of the Type constants for every known type).
func Decode(frame []byte, l Limits) (Envelope, error) {
	var env Envelope
	if err := Validate(frame, l); err != nil {
		return env, err
	}
	r := reader{b: frame}
	n, ok := r.mapLen()
	if !ok {
		return env, ErrNotEnvelope
	}
	for ; n > 0; n-- {
		key := r.str()
		switch string(key) {
		case "t":
			t, ok := r.strOK()
			if !ok {
				return env, ErrNotEnvelope
			}
			env.T = internType(t)
		case "id":
			id, ok := r.uint()
			if !ok {
				return env, fmt.Errorf("%w: id is not an unsigned integer", ErrNotEnvelope)
			}
			env.ID = id
		case "d":
			start := r.off
			if r.b[start] == 0xc0 {
				r.off++
				continue
			}
			if !isMap(r.b[start]) {
				return env, fmt.Errorf("%w: d is not a map", ErrNotEnvelope)
			}
			r.skip()
			env.D = msgpack.RawMessage(frame[start:r.off:r.off])
		default: // unknown keys are ignored, for protocol extensions
			r.skip()
		}
	}
	if env.T == "" {
		return env, ErrNotEnvelope
	}
	return env, nil
}

// internType returns the Type constant spelled t, so that decoding a known type allocates
// nothing; an unknown type is copied.
func internType(t []byte) string {
	switch string(t) { // the compiler compares without converting
	case TypePing:
		return TypePing
	case TypeCreate:
		return TypeCreate
	case TypeJoin:
		return TypeJoin
	case TypeLeave:
		return TypeLeave
	case TypeInput:
		return TypeInput
	case TypeReauth:
		return TypeReauth
	case TypeStart:
		return TypeStart
	case TypeKick:
		return TypeKick
	case TypePong:
		return TypePong
	case TypeWelcome:
		return TypeWelcome
	case TypeJoined:
		return TypeJoined
	case TypeLeft:
		return TypeLeft
	case TypeSnapshot:
		return TypeSnapshot
	case TypeEvent:
		return TypeEvent
	case TypeReauthRequired:
		return TypeReauthRequired
	case TypeReauthOK:
		return TypeReauthOK
	case TypeError:
		return TypeError
	case TypeOK:
		return TypeOK
	}
	return string(t)
}

// payloadLimits bound a payload on its own. DecodePayload validates again because it is
// exported and may be handed bytes that never passed Decode; a payload is a part of a frame,
// so the frame's own limits are never tighter than these.
var payloadLimits = Limits{}

// decoders are msgpack decoders for the rare payloads. Unlike msgpack.Unmarshal they do not
// preallocate slices for declared lengths; Validate has bounded those lengths anyway.
var decoders = sync.Pool{New: func() any {
	d := &decoder{}
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}}

type decoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

// DecodePayload decodes a payload into v, a pointer to a payload struct. It validates d first,
// so it is safe on any bytes. An absent or nil payload leaves v at its zero value. An *Input
// is decoded by DecodeInput.
func DecodePayload(d msgpack.RawMessage, v any) error {
	if in, ok := v.(*Input); ok {
		return DecodeInput(d, in)
	}
	if len(d) == 0 || d[0] == 0xc0 && len(d) == 1 {
		return nil
	}
	if err := Validate(d, payloadLimits); err != nil {
		return err
	}
	if !isMap(d[0]) {
		return fmt.Errorf("%w: not a map", ErrPayload)
	}
	dec := decoders.Get().(*decoder)
	dec.r.Reset(d)
	dec.dec.Reset(&dec.r)
	err := dec.dec.Decode(v)
	dec.r.Reset(nil)
	decoders.Put(dec)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPayload, err)
	}
	return nil
}

// DecodeInput decodes an input payload without reflection or allocation: inputs are the one
// frame every player sends every tick. Keys other than seq, dx, dy and b are skipped. seq and b
// take unsigned integers up to 2^32-1; dx and dy take any number, float32, float64 or integer
// (browsers' encoders write float64). A nil value reads as zero.
func DecodeInput(d []byte, in *Input) error {
	*in = Input{}
	if len(d) == 0 {
		return nil
	}
	if err := Validate(d, payloadLimits); err != nil {
		return err
	}
	return decodeInput(d, in)
}

// DecodeValidInput is DecodeInput for the payload of an envelope that Decode returned: Decode
// validated the whole frame, the payload with it, so it is not walked a second time. Handed
// anything else, it may panic.
func DecodeValidInput(d []byte, in *Input) error {
	*in = Input{}
	if len(d) == 0 {
		return nil
	}
	return decodeInput(d, in)
}

// decodeInput reads a validated input payload.
func decodeInput(d []byte, in *Input) error {
	r := reader{b: d}
	if r.nil() {
		return nil
	}
	n, ok := r.mapLen()
	if !ok {
		return fmt.Errorf("%w: input is not a map", ErrPayload)
	}
	for ; n > 0; n-- {
		key := r.str()
		if r.nil() {
			in.zero(key)
			continue
		}
		switch string(key) {
		case "seq":
			v, ok := r.uint()
			if !ok || v > math.MaxUint32 {
				return fmt.Errorf("%w: seq must be an unsigned integer below 2^32", ErrPayload)
			}
			in.Seq = uint32(v)
		case "dx", "dy":
			f, ok := r.float32()
			if !ok {
				return fmt.Errorf("%w: %s must be a number", ErrPayload, key)
			}
			if key[1] == 'x' {
				in.DX = f
			} else {
				in.DY = f
			}
		case "b":
			v, ok := r.uint()
			if !ok || v > math.MaxUint32 {
				return fmt.Errorf("%w: b must be an unsigned integer below 2^32", ErrPayload)
			}
			in.Buttons = uint32(v)
		default:
			r.skip()
		}
	}
	return nil
}

// zero clears the field named key, as a nil value does.
func (in *Input) zero(key []byte) {
	switch string(key) {
	case "seq":
		in.Seq = 0
	case "dx":
		in.DX = 0
	case "dy":
		in.DY = 0
	case "b":
		in.Buttons = 0
	}
}

func isMap(c byte) bool { return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf }

// reader reads values from msgpack that Validate has accepted, so lengths are known to fit and
// map keys to be strings; the methods only check types.
type reader struct {
	b   []byte
	off int
}

func (r *reader) nil() bool {
	if r.b[r.off] == 0xc0 {
		r.off++
		return true
	}
	return false
}

// skip steps over one value.
func (r *reader) skip() {
	v := validator{b: r.b, off: r.off, elems: math.MaxInt}
	_ = v.value(math.MaxInt)
	r.off = v.off
}

func (r *reader) mapLen() (int, bool) {
	c := r.b[r.off]
	switch {
	case c >= 0x80 && c <= 0x8f:
		r.off++
		return int(c & 0x0f), true
	case c == 0xde:
		n := int(binary.BigEndian.Uint16(r.b[r.off+1:]))
		r.off += 3
		return n, true
	case c == 0xdf:
		n := int(binary.BigEndian.Uint32(r.b[r.off+1:]))
		r.off += 5
		return n, true
	}
	return 0, false
}

// strOK reads a str, or reports false (and skips the value) for any other type.
func (r *reader) strOK() ([]byte, bool) {
	c := r.b[r.off]
	var n, h int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n, h = int(c&0x1f), 1
	case c == 0xd9:
		n, h = int(r.b[r.off+1]), 2
	case c == 0xda:
		n, h = int(binary.BigEndian.Uint16(r.b[r.off+1:])), 3
	case c == 0xdb:
		n, h = int(binary.BigEndian.Uint32(r.b[r.off+1:])), 5
	default:
		r.skip()
		return nil, false
	}
	s := r.b[r.off+h : r.off+h+n]
	r.off += h + n
	return s, true
}

// str reads a map key, which Validate has checked is a str.
func (r *reader) str() []byte {
	s, _ := r.strOK()
	return s
}

// uint reads a non-negative integer of any width, or reports false (and skips the value).
func (r *reader) uint() (uint64, bool) {
	i, u, isInt, ok := r.integer()
	if !ok || isInt && i < 0 {
		return 0, false
	}
	if isInt {
		return uint64(i), true
	}
	return u, true
}

// float32 reads any integer or float as a float32, rounding once, or reports false (and skips
// the value).
func (r *reader) float32() (float32, bool) {
	c := r.b[r.off]
	switch c {
	case 0xca:
		f := math.Float32frombits(binary.BigEndian.Uint32(r.b[r.off+1:]))
		r.off += 5
		return f, true
	case 0xcb:
		f := math.Float64frombits(binary.BigEndian.Uint64(r.b[r.off+1:]))
		r.off += 9
		return float32(f), true
	}
	i, u, isInt, ok := r.integer()
	switch {
	case !ok:
		return 0, false
	case isInt:
		return float32(i), true
	}
	return float32(u), true
}

// integer reads an integer: signed in i when isInt, else unsigned in u. Any other type is
// skipped and reported as not ok.
func (r *reader) integer() (i int64, u uint64, isInt, ok bool) {
	b := r.b[r.off:]
	c := b[0]
	switch {
	case c <= 0x7f:
		r.off++
		return 0, uint64(c), false, true
	case c >= 0xe0:
		r.off++
		return int64(int8(c)), 0, true, true
	}
	switch c {
	case 0xcc:
		r.off += 2
		return 0, uint64(b[1]), false, true
	case 0xcd:
		r.off += 3
		return 0, uint64(binary.BigEndian.Uint16(b[1:])), false, true
	case 0xce:
		r.off += 5
		return 0, uint64(binary.BigEndian.Uint32(b[1:])), false, true
	case 0xcf:
		r.off += 9
		return 0, binary.BigEndian.Uint64(b[1:]), false, true
	case 0xd0:
		r.off += 2
		return int64(int8(b[1])), 0, true, true
	case 0xd1:
		r.off += 3
		return int64(int16(binary.BigEndian.Uint16(b[1:]))), 0, true, true
	case 0xd2:
		r.off += 5
		return int64(int32(binary.BigEndian.Uint32(b[1:]))), 0, true, true
	case 0xd3:
		r.off += 9
		return int64(binary.BigEndian.Uint64(b[1:])), 0, true, true
	}
	r.skip()
	return 0, 0, false, false
}

// DecodeInputFrame reads frame when it is an input in the plain form clients send: a map of "t"
// ("input"), "d" and perhaps "id", whose "d" is nil or a map of seq, dx, dy and b holding numbers
// (or nil), every key a short string. It reports false for anything else, well formed or not,
// which Decode and DecodeValidInput read in full; when it reports true, id and in are what they
// would give.
//
// Inputs are the one frame every player sends every tick: this reads one in a single bounded
// pass over its few bytes, where the general way validates the frame, then walks it for the
// envelope and again for the payload.
func DecodeInputFrame(frame []byte) (id uint64, in Input, ok bool) {
	if len(frame) == 0 || frame[0] < 0x81 || frame[0] > 0x83 {
		return 0, Input{}, false
	}
	r := reader{b: frame, off: 1}
	isInput := false
	for n := int(frame[0] & 0x0f); n > 0; n-- {
		key, ok := r.shortStr()
		if !ok {
			return 0, Input{}, false
		}
		switch string(key) {
		case "t":
			t, ok := r.shortStr()
			if !ok || string(t) != TypeInput {
				return 0, Input{}, false
			}
			isInput = true
		case "id":
			if !r.numberFits() || r.b[r.off] == 0xc0 {
				return 0, Input{}, false
			}
			if id, ok = r.uint(); !ok {
				return 0, Input{}, false
			}
		case "d":
			if !r.plainInput(&in) {
				return 0, Input{}, false
			}
		default:
			return 0, Input{}, false
		}
	}
	if !isInput || r.off != len(frame) {
		return 0, Input{}, false
	}
	return id, in, true
}

// plainInput reads an input payload of the plain form DecodeInputFrame takes, checking bounds
// as it goes, or reports false. A map replaces whatever in held (a later "d" wins, as in
// Decode); a nil leaves it (Decode skips a nil "d").
func (r *reader) plainInput(in *Input) bool {
	if r.off >= len(r.b) {
		return false
	}
	c := r.b[r.off]
	if c == 0xc0 {
		r.off++
		return true
	}
	if c < 0x80 || c > 0x8f {
		return false
	}
	r.off++
	*in = Input{}
	for n := int(c & 0x0f); n > 0; n-- {
		key, ok := r.shortStr()
		if !ok || !r.numberFits() {
			return false
		}
		if r.nil() {
			switch string(key) {
			case "seq", "dx", "dy", "b":
				in.zero(key)
				continue
			}
			return false
		}
		switch string(key) {
		case "seq", "b":
			v, ok := r.uint()
			if !ok || v > math.MaxUint32 {
				return false
			}
			if key[0] == 's' {
				in.Seq = uint32(v)
			} else {
				in.Buttons = uint32(v)
			}
		case "dx", "dy":
			f, ok := r.float32()
			if !ok {
				return false
			}
			if key[1] == 'x' {
				in.DX = f
			} else {
				in.DY = f
			}
		default:
			return false
		}
	}
	return true
}

// shortStr reads a str of at most 31 bytes (one header byte), checking bounds, or reports false.
func (r *reader) shortStr() ([]byte, bool) {
	if r.off >= len(r.b) {
		return nil, false
	}
	c := r.b[r.off]
	n := int(c & 0x1f)
	if c < 0xa0 || c > 0xbf || r.off+1+n > len(r.b) {
		return nil, false
	}
	s := r.b[r.off+1 : r.off+1+n]
	r.off += 1 + n
	return s, true
}

// numberFits reports whether the next value is nil, an integer or a float whose bytes are all
// there: the reader's number methods may then read it.
func (r *reader) numberFits() bool {
	if r.off >= len(r.b) {
		return false
	}
	size := 0
	switch c := r.b[r.off]; {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0:
		size = 1
	case c == 0xcc || c == 0xd0:
		size = 2
	case c == 0xcd || c == 0xd1:
		size = 3
	case c == 0xce || c == 0xd2 || c == 0xca:
		size = 5
	case c == 0xcf || c == 0xd3 || c == 0xcb:
		size = 9
	default:
		return false
	}
	return r.off+size <= len(r.b)
}
