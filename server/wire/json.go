package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// FrameJSON renders a frame as JSON, for logs, tools and the golden test vectors that clients in
// other languages check (server/wire/testdata/golden.json). It validates the frame against l
// first. Map keys keep their order; a float32 is written as the exact float64 it widens to, which
// is the number a JavaScript or Python decoder produces from it. NaN and infinities, which JSON
// cannot hold, are an error.
func FrameJSON(frame []byte, l Limits) ([]byte, error) {
	if err := Validate(frame, l); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	r := NewReader(frame)
	if err := writeJSON(&buf, &r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON copies one msgpack value from r to buf as JSON. It walks the value by hand so that
// maps keep their order and floats their exact value; a bin value is written as a string of its
// bytes, as a str is.
func writeJSON(buf *bytes.Buffer, r *Reader) error {
	c := r.Peek()
	switch {
	case isMap(c):
		n := r.MapLen()
		buf.WriteByte('{')
		for i := range n {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSONValue(buf, string(r.Str())); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeJSON(buf, r); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case c >= 0x90 && c <= 0x9f, c == 0xdc, c == 0xdd:
		n := r.ArrayLen()
		buf.WriteByte('[')
		for i := range n {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, r); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case isStr(c):
		if err := writeJSONValue(buf, string(r.Str())); err != nil {
			return err
		}
	case c == 0xc4, c == 0xc5, c == 0xc6:
		if err := writeJSONValue(buf, string(r.bin())); err != nil {
			return err
		}
	case c == 0xc0:
		r.off++
		buf.WriteString("null")
	case c == 0xc2, c == 0xc3:
		r.off++
		buf.WriteString(strconv.FormatBool(c == 0xc3))
	case c == 0xca:
		if err := writeJSONValue(buf, float64(r.Float32())); err != nil {
			return err
		}
	case c == 0xcb:
		if err := writeJSONValue(buf, math.Float64frombits(r.be(8))); err != nil {
			return err
		}
	default:
		v, neg := r.integer()
		if neg {
			buf.WriteString(strconv.FormatInt(int64(v), 10))
		} else {
			buf.WriteString(strconv.FormatUint(v, 10))
		}
	}
	return r.Err()
}

// writeJSONValue writes v as encoding/json does.
func writeJSONValue(buf *bytes.Buffer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wire: json: %w", err)
	}
	buf.Write(b)
	return nil
}

// bin reads a bin value's bytes, a slice of the input.
func (r *Reader) bin() []byte {
	var n uint64
	switch r.Peek() {
	case 0xc4:
		n = r.be(1)
	case 0xc5:
		n = r.be(2)
	case 0xc6:
		n = r.be(4)
	default:
		r.mismatch()
		return nil
	}
	return r.take(n)
}
