package wire

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
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
	dec := msgpack.NewDecoder(bytes.NewReader(frame))
	if err := writeJSON(&buf, dec); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON copies one msgpack value from dec to buf as JSON. It walks the value by hand so that
// maps keep their order and floats their exact value.
func writeJSON(buf *bytes.Buffer, dec *msgpack.Decoder) error {
	c, err := dec.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case isMap(c):
		n, err := dec.DecodeMapLen()
		if err != nil {
			return err
		}
		buf.WriteByte('{')
		for i := range n {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, err := dec.DecodeString()
			if err != nil {
				return err
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeJSON(buf, dec); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case c >= 0x90 && c <= 0x9f, c == 0xdc, c == 0xdd:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return err
		}
		buf.WriteByte('[')
		for i := range n {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, dec); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	v, err := dec.DecodeInterfaceLoose()
	if err != nil {
		return err
	}
	if f, ok := v.(float32); ok {
		v = float64(f)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wire: json: %w", err)
	}
	buf.Write(b)
	return nil
}
