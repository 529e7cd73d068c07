package game

import (
	"bytes"
	"math"
	"testing"
)

// TestStateWriterAppendsAsTheEncoderDoes: Key, ArrayLen, Uint, Int and Float32 write the very
// bytes that Field's encoder writes, at every boundary of every form.
func TestStateWriterAppendsAsTheEncoderDoes(t *testing.T) {
	uints := []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}
	ints := []int64{0, 1, 127, 128, -1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64, math.MaxInt64}
	floats := []float32{0, -0, 1.5, -3.25, math.MaxFloat32, float32(math.Inf(1)), float32(math.NaN())}
	lens := []int{0, 15, 16, 65535, 65536}
	fast, slow := NewStateWriter(), NewStateWriter()
	for _, v := range uints {
		fast.Key("u")
		fast.Uint(v)
		_ = slow.Field("u").EncodeUint(v)
	}
	for _, v := range ints {
		fast.Key("i")
		fast.Int(v)
		_ = slow.Field("i").EncodeInt(v)
	}
	for _, v := range floats {
		fast.Key("f")
		fast.Float32(v)
		_ = slow.Field("f").EncodeFloat32(v)
	}
	for _, n := range lens {
		fast.Key("a")
		fast.ArrayLen(n)
		_ = slow.Field("a").EncodeArrayLen(n)
	}
	fb, fn := fast.Bytes()
	sb, sn := slow.Bytes()
	if fn != sn || !bytes.Equal(fb, sb) {
		t.Fatalf("fields %d vs %d; bytes differ:\n%x\n%x", fn, sn, fb, sb)
	}
	fast.Reset()
	if b, n := fast.Bytes(); len(b) != 0 || n != 0 {
		t.Fatalf("after Reset: %d bytes, %d fields", len(b), n)
	}
}
