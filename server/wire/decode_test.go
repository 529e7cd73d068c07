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

func TestDecodeInput(t *testing.T) {
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
		name string
		d    []byte
		want wire.Input
		bad  bool
	}{
		{"float32 steering", payload("seq", 5, "dx", float32(0.5), "dy", float32(-1)), wire.Input{Seq: 5, DX: 0.5, DY: -1}, false},
		{"float64 steering, as browsers send it", payload("seq", 6, "dx", 0.25, "dy", -0.75), wire.Input{Seq: 6, DX: 0.25, DY: -0.75}, false},
		{"integer steering", payload("seq", 7, "dx", -1, "dy", 1), wire.Input{Seq: 7, DX: -1, DY: 1}, false},
		{"buttons and unknown keys", payload("zz", "x", "seq", uint64(math.MaxUint32), "b", 3), wire.Input{Seq: math.MaxUint32, Buttons: 3}, false},
		{"nil clears", payload("dx", float32(1), "dx", nil), wire.Input{}, false},
		{"empty", nil, wire.Input{}, false},
		{"negative seq", payload("seq", -1), wire.Input{}, true},
		{"seq past 2^32", payload("seq", uint64(1<<32)), wire.Input{}, true},
		{"string dx", payload("dx", "left"), wire.Input{}, true},
		{"not a map", []byte{0x90}, wire.Input{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in wire.Input
			err := wire.DecodeInput(c.d, &in)
			if c.bad {
				if err == nil {
					t.Fatalf("DecodeInput = %+v, want an error", in)
				}
				return
			}
			if err != nil || in != c.want {
				t.Fatalf("DecodeInput = %+v, %v; want %+v", in, err, c.want)
			}
		})
	}
}

// TestDecodeInputFrame: the one-pass reader takes the inputs clients send, gives what the
// general decoders give, and leaves everything else (odd or broken) to them.
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
			case nil:
				b = append(b, 0xc0)
			case []byte:
				b = append(b, v...)
			}
		}
		return b
	}
	d := func(kv ...any) []byte { return frame(kv...) }
	plain := mustEncode(t, wire.TypeInput, 0, wire.Input{Seq: 42, DX: 0.5, DY: -1})
	for _, c := range []struct {
		name  string
		frame []byte
		want  wire.Input
		id    uint64
		taken bool
	}{
		{"as the Go client sends it", plain, wire.Input{Seq: 42, DX: 0.5, DY: -1}, 0, true},
		{"as a browser sends it", frame("t", "input", "d", d("seq", 7, "dx", 0.25, "dy", -0.75, "b", 3)), wire.Input{Seq: 7, DX: 0.25, DY: -0.75, Buttons: 3}, 0, true},
		{"d first, with an id", frame("d", d("seq", uint64(math.MaxUint32), "dx", -1), "id", uint64(1<<40), "t", "input"), wire.Input{Seq: math.MaxUint32, DX: -1}, 1 << 40, true},
		{"nil d", frame("t", "input", "d", nil), wire.Input{}, 0, true},
		{"a nil d after a map keeps the map", frame("t", "input", "d", d("seq", 5), "d", nil), wire.Input{Seq: 5}, 0, true},
		{"the last map wins", frame("t", "input", "d", d("seq", 5), "d", d("dx", 1)), wire.Input{DX: 1}, 0, true},
		{"no d", frame("t", "input"), wire.Input{}, 0, true},
		{"nil clears", frame("t", "input", "d", d("dx", 1, "dx", nil)), wire.Input{}, 0, true},
		{"another type", frame("t", "ping", "d", d("seq", 1)), wire.Input{}, 0, false},
		{"no type", frame("d", d("seq", 1)), wire.Input{}, 0, false},
		{"unknown envelope key", frame("t", "input", "x", 1), wire.Input{}, 0, false},
		{"unknown input key", frame("t", "input", "d", d("zz", 1)), wire.Input{}, 0, false},
		{"negative seq", frame("t", "input", "d", d("seq", -1)), wire.Input{}, 0, false},
		{"seq past 2^32", frame("t", "input", "d", d("seq", uint64(1<<32))), wire.Input{}, 0, false},
		{"string dx", frame("t", "input", "d", d("dx", "left")), wire.Input{}, 0, false},
		{"nil id", frame("t", "input", "id", nil), wire.Input{}, 0, false},
		{"a str8 key", append([]byte{0x81, 0xd9, 1, 't'}, wire.AppendString(nil, "input")...), wire.Input{}, 0, false},
		{"truncated", plain[:len(plain)-2], wire.Input{}, 0, false},
		{"truncated in a key", plain[:4], wire.Input{}, 0, false},
		{"trailing bytes", append(append([]byte(nil), plain...), 0xc0), wire.Input{}, 0, false},
		{"empty", nil, wire.Input{}, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, in, ok := wire.DecodeInputFrame(c.frame)
			if ok != c.taken || ok && (in != c.want || id != c.id) {
				t.Fatalf("DecodeInputFrame = %d, %+v, %v; want %d, %+v, %v", id, in, ok, c.id, c.want, c.taken)
			}
			if !ok {
				return
			}
			env, err := wire.Decode(c.frame, wire.Limits{})
			var general wire.Input
			if err == nil {
				err = wire.DecodeValidInput(env.D, &general)
			}
			if err != nil || env.T != wire.TypeInput || env.ID != id || general != in {
				t.Fatalf("the general decoders give %+v %+v, %v", env, general, err)
			}
		})
	}
	if allocs := testing.AllocsPerRun(100, func() { wire.DecodeInputFrame(plain) }); allocs != 0 {
		t.Fatalf("DecodeInputFrame allocates %v times", allocs)
	}
}

// TestInputFramesDecodeWithoutAllocating: an input frame is what every player sends every tick.
func TestInputFramesDecodeWithoutAllocating(t *testing.T) {
	frame := mustEncode(t, wire.TypeInput, 0, wire.Input{Seq: 123456, DX: 0.5, DY: -0.25})
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
	if allocs != 0 || in.Seq != 123456 || in.DX != 0.5 {
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
		wire.TypeInput:          &wire.Input{Seq: 9, DX: -0.5, DY: 1, Buttons: 1},
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
