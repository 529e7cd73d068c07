package game

import (
	"bytes"

	"github.com/vmihailenco/msgpack/v5"
)

// StateWriter collects a game's state for one tick as msgpack map entries. A game calls Field
// for each key and writes the value with the returned encoder; the engine wraps the entries
// into each member's snapshot frame. The writer is reused from tick to tick.
type StateWriter struct {
	buf    bytes.Buffer
	enc    *msgpack.Encoder
	fields int
}

// NewStateWriter returns an empty writer.
func NewStateWriter() *StateWriter {
	w := &StateWriter{}
	w.enc = msgpack.NewEncoder(&w.buf)
	w.enc.UseCompactInts(true)
	return w
}

// Field starts the entry named key and returns the encoder for its value.
func (w *StateWriter) Field(key string) *msgpack.Encoder {
	w.fields++
	_ = w.enc.EncodeString(key)
	return w.enc
}

// Reset empties the writer.
func (w *StateWriter) Reset() {
	w.buf.Reset()
	w.fields = 0
}

// Bytes returns the entries written since Reset and their count.
func (w *StateWriter) Bytes() ([]byte, int) { return w.buf.Bytes(), w.fields }
