package wire_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
)

// TestReaderReadsWhatTheAppenderWrites: every Append helper's output reads back as the value
// it was given, through the Reader method of the same type.
func TestReaderReadsWhatTheAppenderWrites(t *testing.T) {
	uints := []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}
	ints := []int64{0, -1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64, math.MaxInt64}
	var b []byte
	for _, v := range uints {
		b = wire.AppendUint(b, v)
	}
	for _, v := range ints {
		b = wire.AppendInt(b, v)
	}
	long := string(bytes.Repeat([]byte("x"), 70000))
	for _, s := range []string{"", "t", string(bytes.Repeat([]byte("y"), 31)), string(bytes.Repeat([]byte("z"), 200)), long} {
		b = wire.AppendString(b, s)
	}
	b = wire.AppendFloat32(b, -2.5)
	b = wire.AppendArrayHeader(b, 70000)
	b = wire.AppendMapHeader(b, 20)
	b = wire.AppendBool(b, true)

	r := wire.NewReader(b)
	for _, want := range uints {
		if got := r.Uint(); got != want {
			t.Fatalf("Uint = %d, want %d", got, want)
		}
	}
	for _, want := range ints {
		if got := r.Int(); got != want {
			t.Fatalf("Int = %d, want %d", got, want)
		}
	}
	for _, want := range []int{0, 1, 31, 200, 70000} {
		if got := r.Str(); len(got) != want {
			t.Fatalf("Str of %d bytes read as %d", want, len(got))
		}
	}
	if f := r.Float32(); f != -2.5 {
		t.Fatalf("Float32 = %v", f)
	}
	if n := r.ArrayLen(); n != 70000 {
		t.Fatalf("ArrayLen = %d", n)
	}
	if n := r.MapLen(); n != 20 {
		t.Fatalf("MapLen = %d", n)
	}
	if r.Err() != nil || r.Len() != 1 {
		t.Fatalf("err %v, %d bytes left", r.Err(), r.Len())
	}
}

// TestReaderRefusesWhatIsNotThere: a read of a length past the end, of another type, or of a
// value nested past the bound fails with the error that says so, and the failure sticks.
func TestReaderRefusesWhatIsNotThere(t *testing.T) {
	nested := bytes.Repeat([]byte{0x91}, 100)
	nested = append(nested, 0x01)
	for _, c := range []struct {
		name string
		b    []byte
		read func(r *wire.Reader)
		want error
	}{
		{"empty", nil, func(r *wire.Reader) { r.Uint() }, wire.ErrTruncated},
		{"a uint32 cut short", []byte{0xce, 1, 2}, func(r *wire.Reader) { r.Uint() }, wire.ErrTruncated},
		{"a str past the end", []byte{0xa5, 'a'}, func(r *wire.Reader) { r.Str() }, wire.ErrTruncated},
		{"a str32 of 4 GiB", []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, func(r *wire.Reader) { r.Str() }, wire.ErrTruncated},
		{"a map16 header cut short", []byte{0xde, 1}, func(r *wire.Reader) { r.MapLen() }, wire.ErrTruncated},
		{"a negative Uint", []byte{0xff}, func(r *wire.Reader) { r.Uint() }, wire.ErrType},
		{"an Int past int64", wire.AppendUint(nil, math.MaxUint64), func(r *wire.Reader) { r.Int() }, wire.ErrType},
		{"a string as a number", []byte{0xa1, 'x'}, func(r *wire.Reader) { r.Float32() }, wire.ErrType},
		{"a number as a map", []byte{0x01}, func(r *wire.Reader) { r.MapLen() }, wire.ErrType},
		{"a bin as a str", []byte{0xc4, 1, 'x'}, func(r *wire.Reader) { r.Str() }, wire.ErrType},
		{"skip: a huge declared array", []byte{0xdd, 0x7f, 0xff, 0xff, 0xff}, func(r *wire.Reader) { r.Skip() }, wire.ErrTruncated},
		{"skip: an extension type", []byte{0xd4, 1, 1}, func(r *wire.Reader) { r.Skip() }, wire.ErrBadByte},
		{"skip: a map with an integer key", []byte{0x81, 0x01, 0x01}, func(r *wire.Reader) { r.Skip() }, wire.ErrBadKey},
		{"skip: nested past the bound", nested, func(r *wire.Reader) { r.Skip() }, wire.ErrTooDeep},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := wire.NewReader(c.b)
			c.read(&r)
			if !errors.Is(r.Err(), c.want) {
				t.Fatalf("err = %v, want %v", r.Err(), c.want)
			}
			if r.Len() != 0 {
				t.Fatalf("%d bytes left after a failure", r.Len())
			}
			if r.Uint() != 0 || r.Str() != nil || !errors.Is(r.Err(), c.want) {
				t.Fatal("a read after the failure gave a value or another error")
			}
		})
	}
}

// TestReaderSkipAndSince: Skip steps over a whole value, and Since gives its bytes.
func TestReaderSkipAndSince(t *testing.T) {
	frame := mustEncode(t, wire.TypeJoined, 9, wire.Joined{Lobby: wire.LobbyInfo{ID: "l1", Players: []wire.PlayerInfo{{ID: 1, Name: "ada"}}}, Player: 1})
	r := wire.NewReader(frame)
	start := r.Offset()
	r.Skip()
	if r.Err() != nil || !bytes.Equal(r.Since(start), frame) || r.Len() != 0 {
		t.Fatalf("Skip: err %v, %d bytes left", r.Err(), r.Len())
	}
	if allocs := testing.AllocsPerRun(100, func() { r := wire.NewReader(frame); r.Skip() }); allocs != 0 {
		t.Fatalf("Skip allocates %v times", allocs)
	}
}
