package wire_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestValidateAcceptsWellFormedValues(t *testing.T) {
	for _, h := range []string{
		"c0", "c2", "c3", "00", "7f", "e0", "ff",
		"cc ff", "cd ffff", "ce ffffffff", "cf ffffffffffffffff",
		"d0 80", "d1 8000", "d2 80000000", "d3 8000000000000000",
		"ca 3f800000", "cb 3ff0000000000000",
		"a0", "a3 616263", "d9 03 616263", "da 0003 616263", "db 00000003 616263",
		"c4 02 0102", "c5 0002 0102", "c6 00000002 0102",
		"90", "93 01 02 03", "dc 0002 01 02", "dd 00000002 01 02",
		"80", "81 a1 61 01", "de 0001 a1 61 01", "df 00000001 a1 61 c0",
		"82 a1 74 a4 70 69 6e 67 a1 64 81 a1 63 cd 0400", // {t:ping, d:{c:1024}}
	} {
		if err := wire.Validate(unhex(t, h), wire.Limits{}); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", h, err)
		}
	}
}

func TestValidateRefusesMalformedValues(t *testing.T) {
	deep := strings.Repeat("91", 9) + "c0"
	for _, c := range []struct {
		name, hex string
		want      error
	}{
		{"empty", "", wire.ErrTruncated},
		{"unused byte c1", "c1", wire.ErrBadByte},
		{"ext8", "c7 01 05 00", wire.ErrBadByte},
		{"fixext1", "d4 01 00", wire.ErrBadByte},
		{"timestamp ext", "d6 ff 00000000", wire.ErrBadByte},
		{"str8 past the end", "d9 05 6162", wire.ErrTruncated},
		{"str32 of 2 GiB", "db 7fffffff", wire.ErrTruncated},
		{"bin32 of 4 GiB", "c6 ffffffff 00", wire.ErrTruncated},
		{"array32 of 2^25", "dd 02000000", wire.ErrTruncated},
		{"map32 of 2^25", "df 02000000", wire.ErrTruncated},
		{"array16 with one element", "dc ffff 00", wire.ErrTruncated},
		{"map with an int key", "81 01 02", wire.ErrBadKey},
		{"map with an array key", "81 90 02", wire.ErrBadKey},
		{"uint64 cut short", "cf 0102", wire.ErrTruncated},
		{"float64 cut short", "cb 00", wire.ErrTruncated},
		{"two values", "01 02", wire.ErrTrailing},
		{"nine levels deep", deep, wire.ErrTooDeep},
		{"4097 values", "dc 1000" + strings.Repeat("c0", 4096), wire.ErrTooMany},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := wire.Validate(unhex(t, c.hex), wire.Limits{})
			if !errors.Is(err, c.want) {
				t.Fatalf("Validate = %v, want %v", err, c.want)
			}
		})
	}
	if err := wire.Validate(make([]byte, 17), wire.Limits{MaxBytes: 16}); !errors.Is(err, wire.ErrTooLarge) {
		t.Fatalf("Validate of 17 bytes with MaxBytes 16 = %v, want ErrTooLarge", err)
	}
}

// bombs are frames that declare far more than they hold, or are built to make a decoder work
// hard; those named "legal:" are within every limit and must be accepted. Decoded naively into []int64, interface{} or a map, the first two cost the msgpack
// library hundreds of MiB.
func bombs(t testing.TB) map[string][]byte {
	env := func(typ string, d []byte) []byte {
		b := wire.AppendMapHeader(nil, 2)
		b = wire.AppendString(b, "t")
		b = wire.AppendString(b, typ)
		b = wire.AppendString(b, "d")
		return append(b, d...)
	}
	many := wire.AppendArrayHeader(nil, 16000)
	many = append(many, bytes.Repeat([]byte{0xc0}, 16000)...)
	bigMap := wire.AppendMapHeader(nil, 2040)
	for i := range 2040 {
		bigMap = wire.AppendString(bigMap, string([]byte{byte('a' + i%26), byte('a' + i/26)}))
		bigMap = append(bigMap, 0xc0)
	}
	ints := wire.AppendArrayHeader(nil, 4000)
	for i := range 4000 {
		ints = wire.AppendInt(ints, int64(i))
	}
	return map[string][]byte{
		"array32 of 2^25":               unhex(t, "dd 02000000"),
		"map32 of 2^25":                 unhex(t, "df 02000000"),
		"str32 of 4 GiB":                unhex(t, "db ffffffff"),
		"bin32 of 4 GiB":                unhex(t, "c6 ffffffff"),
		"array16 of 65535":              unhex(t, "dc ffff"),
		"map16 of 65535":                unhex(t, "de ffff"),
		"ext32 of 2 GiB":                unhex(t, "c9 7fffffff 01"),
		"input with an array32 payload": env(wire.TypeInput, unhex(t, "dd 02000000")),
		"input with a map32 payload":    env(wire.TypeInput, unhex(t, "df 02000000")),
		"create with a str32 name":      env(wire.TypeCreate, unhex(t, "81 a4 6e616d65 db ffffffff")),
		"join with a map32 lobby":       env(wire.TypeJoin, unhex(t, "81 a5 6c6f626279 df 02000000")),
		"reauth with a bin32 token":     env(wire.TypeReauth, unhex(t, "81 a5 746f6b656e c6 ffffffff")),
		"a million levels deep":         append(bytes.Repeat([]byte{0x91}, 1<<20), 0xc0),
		"16000 nils":                    env(wire.TypeCreate, append(unhex(t, "81 a1 78"), many...)),
		"legal: a map of 2040 keys":     env(wire.TypeJoin, bigMap),
		"a name of 4000 ints":           env(wire.TypeCreate, append(unhex(t, "81 a4 6e616d65"), ints...)),
	}
}

// TestBombsCostUnderOneMiB decodes each bomb the way the server does (Decode, then the payload
// into every payload struct, then FrameJSON) and measures what it allocates.
func TestBombsCostUnderOneMiB(t *testing.T) {
	for name, frame := range bombs(t) {
		t.Run(name, func(t *testing.T) {
			var failures int
			decodeAll := func() {
				env, err := wire.Decode(frame, wire.Limits{MaxBytes: 16 << 10})
				if err != nil {
					failures++
					return
				}
				for _, typ := range []string{wire.TypePing, wire.TypeCreate, wire.TypeJoin, wire.TypeInput, wire.TypeReauth, wire.TypeKick} {
					if wire.DecodePayload(env.D, wire.NewPayload(typ)) != nil {
						failures++
					}
				}
				_, _ = wire.FrameJSON(frame, wire.Limits{MaxBytes: 16 << 10})
			}
			decodeAll() // warm pools
			const runs = 20
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range runs {
				decodeAll()
			}
			runtime.ReadMemStats(&after)
			perRun := (after.TotalAlloc - before.TotalAlloc) / runs
			if perRun >= 1<<20 {
				t.Fatalf("decoding allocated %d bytes per run, want under 1 MiB", perRun)
			}
			if failures == 0 && !strings.HasPrefix(name, "legal:") {
				t.Fatalf("no step refused the frame")
			}
			t.Logf("%d bytes per run", perRun)
		})
	}
}

// TestValidateAllocatesNothing: the check that guards the decoder must not cost memory itself.
func TestValidateAllocatesNothing(t *testing.T) {
	for name, frame := range bombs(t) {
		allocs := testing.AllocsPerRun(5, func() { _ = wire.Validate(frame, wire.Limits{MaxBytes: 16 << 10}) })
		if allocs > 0 {
			t.Errorf("%s: Validate allocated %v times", name, allocs)
		}
	}
}
