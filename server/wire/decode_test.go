package wire_test

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
)

func mustEncode(t testing.TB, typ string, id uint64, payload any) []byte {
	t.Helper()
	b, err := wire.Encode(typ, id, payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeReadsTheEnvelope(t *testing.T) {
	frame := mustEncode(t, wire.TypeJoin, 7, wire.Join{Code: "ABCD"})
	env, err := wire.Decode(frame, wire.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if env.T != wire.TypeJoin || env.ID != 7 {
		t.Fatalf("env = %q id %d", env.T, env.ID)
	}
	var j wire.Join
	if err := wire.DecodePayload(env.D, &j); err != nil || j.Code != "ABCD" {
		t.Fatalf("payload = %+v, %v", j, err)
	}

	t.Run("unknown keys are ignored and the order is free", func(t *testing.T) {
		b := wire.AppendMapHeader(nil, 4)
		b = wire.AppendString(b, "x")
		b = wire.AppendArrayHeader(b, 1)
		b = wire.AppendUint(b, 1)
		b = wire.AppendString(b, "d")
		b = wire.AppendMapHeader(b, 0)
		b = wire.AppendString(b, "id")
		b = wire.AppendUint(b, 1<<40)
		b = wire.AppendString(b, "t")
		b = wire.AppendString(b, "custom")
		env, err := wire.Decode(b, wire.Limits{})
		if err != nil || env.T != "custom" || env.ID != 1<<40 || !bytes.Equal(env.D, []byte{0x80}) {
			t.Fatalf("env = %+v, %v", env, err)
		}
	})
	t.Run("nil d is no payload", func(t *testing.T) {
		env, err := wire.Decode(unhex(t, "82 a1 74 a5 6c65617665 a1 64 c0"), wire.Limits{})
		if err != nil || env.T != wire.TypeLeave || env.D != nil {
			t.Fatalf("env = %+v, %v", env, err)
		}
	})

	for _, c := range []struct{ name, hex string }{
		{"not a map", "93 01 02 03"},
		{"no t", "81 a2 6964 01"},
		{"empty t", "81 a1 74 a0"},
		{"t is a number", "81 a1 74 01"},
		{"negative id", "82 a1 74 a4 70696e67 a2 6964 ff"},
		{"float id", "82 a1 74 a4 70696e67 a2 6964 ca 3f800000"},
		{"d is an array", "82 a1 74 a4 70696e67 a1 64 90"},
		{"d is a string", "82 a1 74 a4 70696e67 a1 64 a0"},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			if _, err := wire.Decode(unhex(t, c.hex), wire.Limits{}); !errors.Is(err, wire.ErrNotEnvelope) {
				t.Fatalf("Decode = %v, want ErrNotEnvelope", err)
			}
		})
	}
}

func TestInputSeq(t *testing.T) {
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
	// The game's fields (dx, dy and b are the arena's) are not the wire's: game/arena's tests
	// read them.
	for _, c := range []struct {
		name string
		d    []byte
		want uint32
		bad  bool
	}{
		{"with the game's fields", payload("seq", 5, "dx", float32(0.5), "dy", float32(-1)), 5, false},
		{"fields of any type", payload("seq", 6, "dx", "left", "dy", 0.25), 6, false},
		{"unknown keys, seq last", payload("zz", "x", "seq", uint64(math.MaxUint32), "b", 3), math.MaxUint32, false},
		{"nil clears", payload("seq", 4, "seq", nil), 0, false},
		{"the last seq wins", payload("seq", 4, "seq", 9), 9, false},
		{"empty", nil, 0, false},
		{"nil", []byte{0xc0}, 0, false},
		{"negative seq", payload("seq", -1), 0, true},
		{"seq past 2^32", payload("seq", uint64(1<<32)), 0, true},
		{"float seq", payload("seq", 1.5), 0, true},
		{"not a map", []byte{0x90}, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq, err := wire.InputSeq(c.d)
			if c.bad {
				if err == nil {
					t.Fatalf("InputSeq = %d, want an error", seq)
				}
				return
			}
			if err != nil || seq != c.want {
				t.Fatalf("InputSeq = %d, %v; want %d", seq, err, c.want)
			}
		})
	}
}

// TestDecodeInputFrame: the one-pass reader takes the inputs clients send, gives what the
// general decoders give (id, seq and the raw d), and leaves everything else (odd or broken)
// to them.
func TestDecodeInputFrame(t *testing.T) {
	frame := func(kv ...any) []byte { // an envelope: values are strings, numbers, nil or raw bytes
		b := wire.AppendMapHeader(nil, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			b = wire.AppendString(b, kv[i].(string))
			switch v := kv[i+1].(type) {
			case string:
				b = wire.AppendString(b, v)
			case uint64:
				b = wire.AppendUint(b, v)
			case int:
				b = wire.AppendInt(b, int64(v))
			case float64:
				bits := math.Float64bits(v)
				b = append(b, 0xcb, byte(bits>>56), byte(bits>>48), byte(bits>>40), byte(bits>>32), byte(bits>>24), byte(bits>>16), byte(bits>>8), byte(bits))
			case bool:
				b = wire.AppendBool(b, v)
			case nil:
				b = append(b, 0xc0)
			case []byte:
				b = append(b, v...)
			}
		}
		return b
	}
	d := func(kv ...any) []byte { return frame(kv...) }
	plain := mustEncode(t, wire.TypeInput, 0, arenaInput{Seq: 42, DX: 0.5, DY: -1})
	plainD := d("seq", 42, "dx", []byte{0xca, 0x3f, 0, 0, 0}, "dy", []byte{0xca, 0xbf, 0x80, 0, 0})
	for _, c := range []struct {
		name  string
		frame []byte
		seq   uint32
		d     []byte
		id    uint64
		taken bool
	}{
		{"as the Go client sends it", plain, 42, plainD, 0, true},
		{"as a browser sends it", frame("t", "input", "d", d("seq", 7, "dx", 0.25, "dy", -0.75, "b", 3)), 7, d("seq", 7, "dx", 0.25, "dy", -0.75, "b", 3), 0, true},
		{"d first, with an id", frame("d", d("seq", uint64(math.MaxUint32), "dx", -1), "id", uint64(1<<40), "t", "input"), math.MaxUint32, d("seq", uint64(math.MaxUint32), "dx", -1), 1 << 40, true},
		{"nil d", frame("t", "input", "d", nil), 0, nil, 0, true},
		{"a nil d after a map keeps the map", frame("t", "input", "d", d("seq", 5), "d", nil), 5, d("seq", 5), 0, true},
		{"the last map wins", frame("t", "input", "d", d("seq", 5), "d", d("dx", 1)), 0, d("dx", 1), 0, true},
		{"no d", frame("t", "input"), 0, nil, 0, true},
		{"nil clears seq", frame("t", "input", "d", d("seq", 1, "seq", nil)), 0, d("seq", 1, "seq", nil), 0, true},
		{"the game's scalars", frame("t", "input", "d", d("zz", 1, "dx", "left", "ok", true, "n", nil)), 0, d("zz", 1, "dx", "left", "ok", true, "n", nil), 0, true},
		{"another type", frame("t", "ping", "d", d("seq", 1)), 0, nil, 0, false},
		{"no type", frame("d", d("seq", 1)), 0, nil, 0, false},
		{"unknown envelope key", frame("t", "input", "x", 1), 0, nil, 0, false},
		{"a nested game field", frame("t", "input", "d", d("bid", []byte{0x92, 1, 2})), 0, nil, 0, false},
		{"negative seq", frame("t", "input", "d", d("seq", -1)), 0, nil, 0, false},
		{"seq past 2^32", frame("t", "input", "d", d("seq", uint64(1<<32))), 0, nil, 0, false},
		{"string seq", frame("t", "input", "d", d("seq", "left")), 0, nil, 0, false},
		{"nil id", frame("t", "input", "id", nil), 0, nil, 0, false},
		{"a str8 key", append([]byte{0x81, 0xd9, 1, 't'}, wire.AppendString(nil, "input")...), 0, nil, 0, false},
		{"truncated", plain[:len(plain)-2], 0, nil, 0, false},
		{"truncated in a key", plain[:4], 0, nil, 0, false},
		{"trailing bytes", append(append([]byte(nil), plain...), 0xc0), 0, nil, 0, false},
		{"empty", nil, 0, nil, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, seq, d, ok := wire.DecodeInputFrame(c.frame)
			if ok != c.taken || ok && (seq != c.seq || id != c.id || !bytes.Equal(d, c.d)) {
				t.Fatalf("DecodeInputFrame = %d, %d, %x, %v; want %d, %d, %x, %v", id, seq, d, ok, c.id, c.seq, c.d, c.taken)
			}
			if !ok {
				return
			}
			env, err := wire.Decode(c.frame, wire.Limits{})
			var general uint32
			if err == nil {
				general, err = wire.InputSeq(env.D)
			}
			if err != nil || env.T != wire.TypeInput || env.ID != id || general != seq || !bytes.Equal(env.D, d) {
				t.Fatalf("the general decoders give %+v %d, %v", env, general, err)
			}
		})
	}
	if allocs := testing.AllocsPerRun(100, func() { wire.DecodeInputFrame(plain) }); allocs != 0 {
		t.Fatalf("DecodeInputFrame allocates %v times", allocs)
	}
}

// TestInputFramesDecodeWithoutAllocating: an input frame is what every player sends every tick.
func TestInputFramesDecodeWithoutAllocating(t *testing.T) {
	frame := mustEncode(t, wire.TypeInput, 0, arenaInput{Seq: 123456, DX: 0.5, DY: -0.25})
	var in wire.Input
	allocs := testing.AllocsPerRun(100, func() {
		env, err := wire.Decode(frame, wire.Limits{MaxBytes: 16 << 10})
		if err != nil || env.T != wire.TypeInput {
			t.Fatal(env, err)
		}
		if err := wire.DecodePayload(env.D, &in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || in.Seq != 123456 {
		t.Fatalf("allocs = %v, input = %+v", allocs, in)
	}
}

// TestPayloadsRoundTrip encodes one of every payload and decodes it back.
func TestPayloadsRoundTrip(t *testing.T) {
	pi := wire.PlayerInfo{ID: 2, Name: "bob", Connected: true}
	for typ, p := range map[string]any{
		wire.TypePing:           &wire.Ping{C: 1700000000123},
		wire.TypeCreate:         &wire.Create{Name: "room", Private: true, MaxPlayers: 4, TickRate: 30, Game: "arena"},
		wire.TypeJoin:           &wire.Join{Lobby: "l1", Spectate: true},
		wire.TypeInput:          &wire.Input{Seq: 9},
		wire.TypeReauth:         &wire.Reauth{Token: "a.b.c"},
		wire.TypeKick:           &wire.Kick{Player: 3},
		wire.TypePong:           &wire.Pong{C: 1, S: 2},
		wire.TypeWelcome:        &wire.Welcome{Protocol: 1, Account: wire.Account{ID: "a", Username: "al"}, Exp: 1e9, ServerTime: 1e12},
		wire.TypeJoined:         &wire.Joined{Lobby: wire.LobbyInfo{ID: "l", Name: "n", Game: "arena", State: "waiting", TickRate: 20, MaxPlayers: 8, Players: []wire.PlayerInfo{pi}}, Player: 2},
		wire.TypeLeft:           &wire.Left{Lobby: "l"},
		wire.TypeEvent:          &wire.Event{Kind: wire.EventPlayerJoined, Player: &pi},
		wire.TypeReauthRequired: &wire.ReauthRequired{Exp: 5},
		wire.TypeReauthOK:       &wire.ReauthOK{Exp: 6},
		wire.TypeError:          &wire.Error{Code: "c", Message: "m"},
	} {
		frame := mustEncode(t, typ, 1, p)
		env, err := wire.Decode(frame, wire.Limits{})
		if err != nil || env.T != typ || env.ID != 1 {
			t.Fatalf("%s: env %+v, %v", typ, env, err)
		}
		got := wire.NewPayload(typ)
		if err := wire.DecodePayload(env.D, got); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("%s: got %+v, want %+v", typ, got, p)
		}
	}
}

func TestDecodePayloadRefusesWrongTypes(t *testing.T) {
	frame := unhex(t, "82 a1 74 a4 6a6f696e a1 64 81 a5 6c6f626279 93 01 02 03") // join {lobby: [1,2,3]}
	env, err := wire.Decode(frame, wire.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var j wire.Join
	if err := wire.DecodePayload(env.D, &j); !errors.Is(err, wire.ErrPayload) {
		t.Fatalf("DecodePayload = %v, want ErrPayload", err)
	}
}
