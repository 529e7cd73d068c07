package wire

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

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
