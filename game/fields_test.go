package game_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// TestFieldsReadEveryEncoding: every width of integer, both float widths, nil, booleans,
// strings, long keys and nested values read as the msgpack library reads them.
func TestFieldsReadEveryEncoding(t *testing.T) {
	long := strings.Repeat("k", 40) // a str8 key, past the fast path
	msg, err := msgpack.Marshal(map[string]any{
		"u8": uint8(200), "u16": uint16(60000), "u32": uint32(1 << 31), "u64": uint64(1 << 40),
		"neg": int8(-5), "i16": int16(-300), "i64": int64(-1 << 40), "f32": float32(0.25), "f64": 0.125,
		"t": true, "f": false, "nil": nil, "s": "left", long: 7, "nested": map[string]any{"a": []int{1, 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	f := game.NewFields(msg)
	for f.Next() {
		switch k := f.Key(); k {
		case "u8", "u16", "u32", "u64", long:
			got[k] = f.Uint()
		case "neg", "i16", "i64":
			got[k] = f.Int()
		case "f32", "f64":
			got[k] = f.Float32()
		case "t", "f":
			got[k] = f.Bool()
		case "nil":
			got[k] = f.Float32()
		case "s":
			got[k] = string(f.Str())
		case "nested":
			raw := f.Raw()
			var v map[string][]int
			if err := msgpack.Unmarshal(raw, &v); err != nil || len(v["a"]) != 2 {
				t.Errorf("nested raw %x: %v %v", raw, v, err)
			}
			got[k] = true
		default:
			t.Errorf("unexpected key %q", k)
			f.Skip()
		}
	}
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"u8": uint64(200), "u16": uint64(60000), "u32": uint64(1 << 31), "u64": uint64(1 << 40), long: uint64(7),
		"neg": int64(-5), "i16": int64(-300), "i64": int64(-1 << 40), "f32": float32(0.25), "f64": float32(0.125),
		"t": true, "f": false, "nil": float32(0), "s": "left", "nested": true,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v (%T), want %v (%T)", k, got[k], got[k], v, v)
		}
	}
}

// TestFieldsFailures: a value of the wrong type names its key, and nothing is read after it.
func TestFieldsFailures(t *testing.T) {
	pair := func(k string, v []byte) []byte {
		return append(wire.AppendString(wire.AppendMapHeader(nil, 2), k), v...)
	}
	for _, c := range []struct {
		name string
		msg  []byte
		read func(f *game.Fields)
		key  string
	}{
		{"string for a number", pair("dx", wire.AppendString(nil, "left")), func(f *game.Fields) { f.Float32() }, "dx"},
		{"negative for an unsigned", pair("n", wire.AppendInt(nil, -1)), func(f *game.Fields) { f.Uint() }, "n"},
		{"number for a bool", pair("ok", wire.AppendUint(nil, 1)), func(f *game.Fields) { f.Bool() }, "ok"},
		{"number for a string", pair("s", wire.AppendFloat32(nil, 1)), func(f *game.Fields) { f.Str() }, "s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := append(c.msg, wire.AppendString(nil, "after")...)
			msg = wire.AppendUint(msg, 1)
			f := game.NewFields(msg)
			entries := 0
			for f.Next() {
				entries++
				c.read(&f)
			}
			err := f.Err()
			if err == nil || !strings.HasPrefix(err.Error(), c.key+":") || entries != 1 {
				t.Fatalf("err %v after %d entries; want one entry and an error naming %s", err, entries, c.key)
			}
		})
	}
	for _, msg := range [][]byte{{0x90}, {0xa1, 'x'}, {0x81, 0x01, 0x01}} {
		f := game.NewFields(msg)
		for f.Next() {
			f.Skip()
		}
		if f.Err() == nil {
			t.Errorf("%x read as a map of fields", msg)
		}
	}
	trunc := game.NewFields([]byte{0x81, 0xa2, 'd', 'x', 0xca, 0x3f})
	for trunc.Next() {
		trunc.Float32()
	}
	if err := trunc.Err(); err == nil || !strings.HasPrefix(err.Error(), "dx:") {
		t.Errorf("a truncated value: %v", err)
	}
	f := game.NewFields([]byte{0xc0})
	if f.Next() || f.Err() != nil {
		t.Error("a nil message is not an empty one")
	}
	if !errors.Is(func() error {
		f := game.NewFields(pair("ok", wire.AppendUint(nil, 1)))
		f.Next()
		f.Bool()
		return f.Err()
	}(), wire.ErrType) {
		t.Error("a wrong type is not wire.ErrType")
	}
}

// TestFieldsAllocateNothing: reading an input as the arena does costs no allocation.
func TestFieldsAllocateNothing(t *testing.T) {
	msg, _ := msgpack.Marshal(map[string]any{"seq": 70000, "dx": 0.5, "dy": float32(-1), "b": 3})
	var sink float32
	a := testing.AllocsPerRun(100, func() {
		f := game.NewFields(msg)
		for f.Next() {
			switch f.Key() {
			case "dx", "dy":
				sink += f.Float32()
			default:
				f.Skip()
			}
		}
	})
	if a != 0 || sink == 0 {
		t.Fatalf("%v allocations", a)
	}
}
