package wire

import (
	"bytes"
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
	r := NewReader(frame)
	n := r.MapLen()
	if r.err != nil {
		return env, ErrNotEnvelope
	}
	for ; n > 0; n-- {
		key := r.Str()
		switch string(key) {
		case "t":
			t := r.Str()
			if r.err != nil {
				return env, ErrNotEnvelope
			}
			env.T = internType(t)
		case "id":
			id := r.Uint()
			if r.err != nil {
				return env, fmt.Errorf("%w: id is not an unsigned integer", ErrNotEnvelope)
			}
			env.ID = id
		case "d":
			if r.Nil() {
				continue
			}
			if !isMap(r.Peek()) {
				return env, fmt.Errorf("%w: d is not a map", ErrNotEnvelope)
			}
			start := r.Offset()
			r.Skip()
			env.D = msgpack.RawMessage(r.Since(start))
		default: // unknown keys are ignored, for protocol extensions
			r.Skip()
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
	r := NewReader(d)
	if r.Nil() {
		return nil
	}
	n := r.MapLen()
	if r.err != nil {
		return fmt.Errorf("%w: input is not a map", ErrPayload)
	}
	for ; n > 0; n-- {
		key := r.Str()
		if r.Nil() {
			in.zero(key)
			continue
		}
		switch string(key) {
		case "seq":
			v := r.Uint()
			if r.err != nil || v > math.MaxUint32 {
				return fmt.Errorf("%w: seq must be an unsigned integer below 2^32", ErrPayload)
			}
			in.Seq = uint32(v)
		case "dx", "dy":
			f := r.Float32()
			if r.err != nil {
				return fmt.Errorf("%w: %s must be a number", ErrPayload, key)
			}
			if key[1] == 'x' {
				in.DX = f
			} else {
				in.DY = f
			}
		case "b":
			v := r.Uint()
			if r.err != nil || v > math.MaxUint32 {
				return fmt.Errorf("%w: b must be an unsigned integer below 2^32", ErrPayload)
			}
			in.Buttons = uint32(v)
		default:
			r.Skip()
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
	r := Reader{b: frame, off: 1}
	isInput := false
	for n := int(frame[0] & 0x0f); n > 0; n-- {
		key, ok := r.fixStr()
		if !ok {
			return 0, Input{}, false
		}
		switch string(key) {
		case "t":
			t, ok := r.fixStr()
			if !ok || string(t) != TypeInput {
				return 0, Input{}, false
			}
			isInput = true
		case "id":
			if r.Nil() {
				return 0, Input{}, false
			}
			if id = r.Uint(); r.err != nil {
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

// plainInput reads an input payload of the plain form DecodeInputFrame takes, or reports false.
// A map replaces whatever in held (a later "d" wins, as in Decode); a nil leaves it (Decode
// skips a nil "d").
func (r *Reader) plainInput(in *Input) bool {
	if r.Nil() {
		return true
	}
	c := r.Peek()
	if c < 0x80 || c > 0x8f {
		return false
	}
	r.off++
	*in = Input{}
	for n := int(c & 0x0f); n > 0; n-- {
		key, ok := r.fixStr()
		if !ok {
			return false
		}
		if r.Nil() {
			switch string(key) {
			case "seq", "dx", "dy", "b":
				in.zero(key)
				continue
			}
			return false
		}
		switch string(key) {
		case "seq", "b":
			v := r.Uint()
			if r.err != nil || v > math.MaxUint32 {
				return false
			}
			if key[0] == 's' {
				in.Seq = uint32(v)
			} else {
				in.Buttons = uint32(v)
			}
		case "dx", "dy":
			f := r.Float32()
			if r.err != nil {
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

// fixStr reads a str of at most 31 bytes (one header byte), or reports false.
func (r *Reader) fixStr() ([]byte, bool) {
	c := r.Peek()
	if c < 0xa0 || c > 0xbf {
		return nil, false
	}
	r.off++
	s := r.take(uint64(c & 0x1f))
	return s, r.err == nil
}
