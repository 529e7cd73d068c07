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
// is read by InputSeq: its other fields are the game's.
func DecodePayload(d msgpack.RawMessage, v any) error {
	if in, ok := v.(*Input); ok {
		*in = Input{}
		if len(d) == 0 {
			return nil
		}
		if err := Validate(d, payloadLimits); err != nil {
			return err
		}
		seq, err := InputSeq(d)
		in.Seq = seq
		return err
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

// InputSeq reads seq from the payload of an input envelope that Decode returned (Decode
// validated the whole frame, the payload with it; handed anything else, InputSeq may panic).
// seq takes an unsigned integer up to 2^32-1, a nil reads as zero, the last seq wins, and the
// payload's other keys are the game's, skipped here. A nil or absent payload has seq zero.
func InputSeq(d []byte) (uint32, error) {
	if len(d) == 0 {
		return 0, nil
	}
	r := NewReader(d)
	if r.Nil() {
		return 0, nil
	}
	n := r.MapLen()
	if r.err != nil {
		return 0, fmt.Errorf("%w: input is not a map", ErrPayload)
	}
	var seq uint32
	for ; n > 0; n-- {
		key := r.Str()
		if string(key) != "seq" {
			r.Skip()
			continue
		}
		if r.Nil() {
			seq = 0
			continue
		}
		v := r.Uint()
		if r.err != nil || v > math.MaxUint32 {
			return 0, fmt.Errorf("%w: seq must be an unsigned integer below 2^32", ErrPayload)
		}
		seq = uint32(v)
	}
	return seq, nil
}

// DecodeInputFrame reads frame when it is an input in the plain form clients send: a map of "t"
// ("input"), "d" and perhaps "id", whose "d" is nil or a map of at most 15 entries, every key a
// short string and every value a scalar (nil, a boolean, a number or a short string), seq an
// unsigned integer below 2^32 or nil. It reports false for anything else, well formed or not,
// which Decode and InputSeq read in full; when it reports true, id and seq are what they would
// give and d is the payload's raw map, a slice of frame (nil for a nil d), as Decode gives it.
//
// Inputs are the one frame every player sends every tick: this reads one in a single bounded
// pass over its few bytes, where the general way validates the frame, then walks it for the
// envelope and again for the payload.
func DecodeInputFrame(frame []byte) (id uint64, seq uint32, d []byte, ok bool) {
	if len(frame) == 0 || frame[0] < 0x81 || frame[0] > 0x83 {
		return 0, 0, nil, false
	}
	r := Reader{b: frame, off: 1}
	isInput := false
	for n := int(frame[0] & 0x0f); n > 0; n-- {
		key, ok := r.fixStr()
		if !ok {
			return 0, 0, nil, false
		}
		switch string(key) {
		case "t":
			t, ok := r.fixStr()
			if !ok || string(t) != TypeInput {
				return 0, 0, nil, false
			}
			isInput = true
		case "id":
			if r.Nil() {
				return 0, 0, nil, false
			}
			if id = r.Uint(); r.err != nil {
				return 0, 0, nil, false
			}
		case "d":
			start := r.off
			if r.Nil() {
				continue // Decode skips a nil d, leaving an earlier one
			}
			if !r.plainInput(&seq) {
				return 0, 0, nil, false
			}
			d = r.b[start:r.off:r.off]
		default:
			return 0, 0, nil, false
		}
	}
	if !isInput || r.off != len(frame) {
		return 0, 0, nil, false
	}
	return id, seq, d, true
}

// plainInput steps over an input payload of the plain form DecodeInputFrame takes, reading its
// seq, or reports false. A map replaces whatever seq held (a later "d" wins, as in Decode).
func (r *Reader) plainInput(seq *uint32) bool {
	c := r.Peek()
	if c < 0x80 || c > 0x8f {
		return false
	}
	r.off++
	*seq = 0
	for n := int(c & 0x0f); n > 0; n-- {
		key, ok := r.fixStr()
		if !ok {
			return false
		}
		if string(key) == "seq" {
			if r.Nil() {
				*seq = 0
				continue
			}
			v := r.Uint()
			if r.err != nil || v > math.MaxUint32 {
				return false
			}
			*seq = uint32(v)
			continue
		}
		if !r.scalar() {
			return false
		}
	}
	return true
}

// scalar steps over a nil, a boolean, a number or a string of at most 31 bytes, or reports
// false, reading nothing, for any other value.
func (r *Reader) scalar() bool {
	if r.off >= len(r.b) {
		return false
	}
	c := r.b[r.off]
	var n int
	switch {
	case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixint, nil, bool
		n = 1
	case c >= 0xa0 && c <= 0xbf: // fixstr
		n = 1 + int(c&0x1f)
	case c == 0xcc || c == 0xd0:
		n = 2
	case c == 0xcd || c == 0xd1:
		n = 3
	case c == 0xce || c == 0xd2 || c == 0xca:
		n = 5
	case c == 0xcf || c == 0xd3 || c == 0xcb:
		n = 9
	default:
		return false
	}
	if len(r.b)-r.off < n {
		return false
	}
	r.off += n
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
