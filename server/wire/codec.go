package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// ErrNotEnvelope reports a frame that is valid msgpack but not an envelope.
var ErrNotEnvelope = errors.New("wire: frame is not an envelope map with a string t")

// Decode validates frame against l and decodes its envelope. The payload stays raw in D until
// DecodePayload decodes it into the type's struct.
func Decode(frame []byte, l Limits) (Envelope, error) {
	var env Envelope
	if err := Validate(frame, l); err != nil {
		return env, err
	}
	if len(frame) == 0 || !isMap(frame[0]) {
		return env, ErrNotEnvelope
	}
	if err := msgpack.Unmarshal(frame, &env); err != nil {
		return env, fmt.Errorf("wire: envelope: %w", err)
	}
	if env.T == "" {
		return env, ErrNotEnvelope
	}
	return env, nil
}

// DecodePayload decodes an already validated payload into v, a pointer to a payload struct.
// An absent payload leaves v at its zero value.
func DecodePayload(d msgpack.RawMessage, v any) error {
	if len(d) == 0 {
		return nil
	}
	if !isMap(d[0]) && d[0] != 0xc0 {
		return errors.New("wire: payload is not a map")
	}
	if err := msgpack.Unmarshal(d, v); err != nil {
		return fmt.Errorf("wire: payload: %w", err)
	}
	return nil
}

func isMap(c byte) bool { return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf }

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	e.enc.UseCompactInts(true)
	e.enc.UseCompactFloats(false)
	return e
}}

type encoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

// Encode returns the frame {t, id, d} with payload encoded as d; a nil payload omits d and a
// zero id omits id.
func Encode(t string, id uint64, payload any) ([]byte, error) {
	return AppendFrame(nil, t, id, payload)
}

// AppendFrame appends the frame {t, id, d} to b.
func AppendFrame(b []byte, t string, id uint64, payload any) ([]byte, error) {
	n := 1
	if id != 0 {
		n++
	}
	if payload != nil {
		n++
	}
	b = AppendMapHeader(b, n)
	b = AppendString(b, "t")
	b = AppendString(b, t)
	if id != 0 {
		b = AppendString(b, "id")
		b = AppendUint(b, id)
	}
	if payload != nil {
		b = AppendString(b, "d")
		e := encoders.Get().(*encoder)
		e.buf.Reset()
		err := e.enc.Encode(payload)
		if err == nil {
			b = append(b, e.buf.Bytes()...)
		}
		if e.buf.Cap() <= 64<<10 {
			encoders.Put(e)
		}
		if err != nil {
			return nil, fmt.Errorf("wire: encode %s: %w", t, err)
		}
	}
	return b, nil
}

// The Append helpers write msgpack's smallest encoding of a value without an encoder, for the
// per-tick snapshot path where nothing may allocate.

// AppendMapHeader appends a map header for n entries.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	default:
		return append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendArrayHeader appends an array header for n elements.
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendString appends a str.
func AppendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// AppendUint appends an unsigned integer.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xcf, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// AppendInt appends a signed integer.
func AppendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return AppendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xd3, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// AppendFloat32 appends a float32.
func AppendFloat32(b []byte, f float32) []byte {
	v := math.Float32bits(f)
	return append(b, 0xca, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// AppendBool appends a bool.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// AppendSnapshot appends a snapshot frame whose d map holds tick, ack and then the game's own
// fields: state holds fields map entries already encoded (keys and values, shared by every
// member of the lobby, encoded once per tick), and player holds playerFields more entries for
// this member alone.
func AppendSnapshot(b []byte, tick uint64, ack uint32, state []byte, fields int, player []byte, playerFields int) []byte {
	b = append(b, 0x82, 0xa1, 't', 0xa8, 's', 'n', 'a', 'p', 's', 'h', 'o', 't', 0xa1, 'd')
	b = AppendMapHeader(b, 2+fields+playerFields)
	b = append(b, 0xa4, 't', 'i', 'c', 'k')
	b = AppendUint(b, tick)
	b = append(b, 0xa3, 'a', 'c', 'k')
	b = AppendUint(b, uint64(ack))
	b = append(b, state...)
	return append(b, player...)
}
