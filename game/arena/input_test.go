package arena

import (
	"math"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
)

// TestInputDecoding: the arena reads its own fields from an input's raw message, as the wire
// and the engine once did for it: any number for dx and dy (browsers send float64), clamped to
// [-1, 1] with NaN as 0, nil as 0, unknown keys and seq skipped; a field of the wrong type is
// an error.
func TestInputDecoding(t *testing.T) {
	payload := func(kv ...any) []byte {
		b := wire.AppendMapHeader(nil, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			b = wire.AppendString(b, kv[i].(string))
			switch v := kv[i+1].(type) {
			case int:
				b = wire.AppendInt(b, int64(v))
			case uint64:
				b = wire.AppendUint(b, v)
			case float32:
				b = wire.AppendFloat32(b, v)
			case float64:
				bits := math.Float64bits(v)
				b = append(b, 0xcb, byte(bits>>56), byte(bits>>48), byte(bits>>40), byte(bits>>32), byte(bits>>24), byte(bits>>16), byte(bits>>8), byte(bits))
			case nil:
				b = append(b, 0xc0)
			case string:
				b = wire.AppendString(b, v)
			}
		}
		return b
	}
	for _, c := range []struct {
		name   string
		msg    []byte
		dx, dy float32
		bad    bool
	}{
		{"float32 steering", payload("seq", 5, "dx", float32(0.5), "dy", float32(-1)), 0.5, -1, false},
		{"float64 steering, as browsers send it", payload("seq", 6, "dx", 0.25, "dy", -0.75), 0.25, -0.75, false},
		{"integer steering", payload("seq", 7, "dx", -1, "dy", 1), -1, 1, false},
		{"buttons and unknown keys", payload("zz", "x", "seq", uint64(math.MaxUint32), "b", 3), 0, 0, false},
		{"nil clears", payload("dx", float32(1), "dx", nil), 0, 0, false},
		{"clamped", payload("dx", float32(7), "dy", -0.25), 1, -0.25, false},
		{"clamped below", payload("dx", -3, "dy", float32(math.Inf(-1))), -1, -1, false},
		{"NaN is 0", payload("dx", float32(math.NaN()), "dy", math.NaN()), 0, 0, false},
		{"empty", []byte{0x80}, 0, 0, false},
		{"string dx", payload("dx", "left"), 0, 0, true},
		{"negative buttons", payload("b", -1), 0, 0, true},
		{"buttons past 2^32", payload("b", uint64(1<<32)), 0, 0, true},
		{"not a map", []byte{0x90}, 0, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			samePaths(t, c.msg)
			dx, dy, err := decodeInput(c.msg)
			if c.bad {
				if err == nil {
					t.Fatalf("decodeInput = %v, %v; want an error", dx, dy)
				}
				return
			}
			if err != nil || dx != c.dx || dy != c.dy {
				t.Fatalf("decodeInput = %v, %v, %v; want %v, %v", dx, dy, err, c.dx, c.dy)
			}
		})
	}
	msg := AppendInput(nil, 9, 0.5, -0.25, 1)
	if a := testing.AllocsPerRun(100, func() { _, _, _ = decodeInput(msg) }); a != 0 {
		t.Fatalf("decoding an input allocates %v times", a)
	}
	if dx, dy, err := decodeInput(msg); err != nil || dx != 0.5 || dy != -0.25 {
		t.Fatalf("AppendInput's message reads %v, %v, %v", dx, dy, err)
	}
}

// samePaths checks that the one-pass reader, where it takes a message, reads what Fields reads.
func samePaths(t *testing.T, msg []byte) {
	t.Helper()
	dx, dy, ok := decodePlain(msg)
	if !ok {
		return
	}
	fx, fy, err := decodeFields(msg)
	if err != nil || math.Float32bits(fx) != math.Float32bits(dx) || math.Float32bits(fy) != math.Float32bits(dy) {
		t.Fatalf("%x: one pass %v, %v; Fields %v, %v, %v", msg, dx, dy, fx, fy, err)
	}
}

// TestThePlainFormsTakeTheOnePass: what clients send is read in one pass.
func TestThePlainFormsTakeTheOnePass(t *testing.T) {
	browser := []byte{0x83, 0xa3, 's', 'e', 'q', 0xcd, 0x01, 0x00, 0xa2, 'd', 'x', 0xcb, 0x3f, 0xd0, 0, 0, 0, 0, 0, 0, 0xa2, 'd', 'y', 0xff}
	for _, msg := range [][]byte{AppendInput(nil, 7, 0.5, -1, 3), AppendInput(nil, 1<<31, 2, -2, 0), browser} {
		if _, _, ok := decodePlain(msg); !ok {
			t.Errorf("%x is left to Fields", msg)
		}
		samePaths(t, msg)
	}
	if dx, dy, _ := decodePlain(browser); dx != 0.25 || dy != -1 {
		t.Errorf("the browser's input reads %v, %v", dx, dy)
	}
}

// FuzzDecodeInput: on any bytes the one-pass reader never panics and agrees with Fields.
func FuzzDecodeInput(f *testing.F) {
	f.Add(AppendInput(nil, 7, 0.5, -1, 3))
	f.Add([]byte{0x82, 0xa2, 'd', 'x', 0xcb, 0x3f, 0xd0, 0, 0, 0, 0, 0, 0, 0xa1, 'b', 0x05})
	f.Fuzz(func(t *testing.T, msg []byte) {
		if wire.Validate(msg, wire.Limits{}) != nil {
			return // the engine hands games validated messages only
		}
		samePaths(t, msg)
	})
}
