package wire_test

import (
	"testing"

	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// arenaState is an arena's shared snapshot state with 8 players and 12 coins, encoded the way
// the game writes it: the map entries after tick and ack.
func arenaState() ([]byte, int) {
	b := wire.AppendString(nil, "w")
	b = wire.AppendFloat32(b, 800)
	b = wire.AppendString(b, "h")
	b = wire.AppendFloat32(b, 600)
	b = wire.AppendString(b, "round_ms")
	b = wire.AppendUint(b, 41250)
	b = wire.AppendString(b, "players")
	b = wire.AppendArrayHeader(b, 8)
	for i := range 8 {
		b = wire.AppendArrayHeader(b, 6)
		b = wire.AppendUint(b, uint64(i+1))
		for _, f := range []float32{123.5 + float32(i), 456.25, -220, 0} {
			b = wire.AppendFloat32(b, f)
		}
		b = wire.AppendInt(b, int64(i))
	}
	b = wire.AppendString(b, "coins")
	b = wire.AppendArrayHeader(b, 12)
	for i := range 12 {
		b = wire.AppendArrayHeader(b, 3)
		b = wire.AppendUint(b, uint64(100+i))
		b = wire.AppendFloat32(b, 300.5)
		b = wire.AppendFloat32(b, 200.75)
	}
	return b, 5
}

// BenchmarkEncodeSnapshot: the per-member work of a snapshot, the tick's shared state behind
// this member's tick and ack, into a reused buffer.
func BenchmarkEncodeSnapshot(b *testing.B) {
	state, fields := arenaState()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := range b.N {
		buf = wire.AppendSnapshot(buf[:0], uint64(i), uint32(i), state, fields, nil, 0)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodeEvent: a control frame through the msgpack encoder, as events, joined and
// errors are sent.
func BenchmarkEncodeEvent(b *testing.B) {
	p := &wire.PlayerInfo{ID: 3, Name: "carol", Connected: true}
	b.ReportAllocs()
	for range b.N {
		if _, err := wire.Encode(wire.TypeEvent, 0, wire.Event{Kind: wire.EventPlayerJoined, Player: p}); err != nil {
			b.Fatal(err)
		}
	}
}

// arenaInput is the arena's input message (game/arena), for frames as clients send them.
type arenaInput struct {
	Seq     uint32  `msgpack:"seq"`
	DX      float32 `msgpack:"dx"`
	DY      float32 `msgpack:"dy"`
	Buttons uint32  `msgpack:"b,omitempty"`
}

// BenchmarkDecodeInput: what the server does with an input frame off the fast path: validate,
// read the envelope, read the payload's seq (its other fields are the game's).
func BenchmarkDecodeInput(b *testing.B) {
	frame, _ := wire.Encode(wire.TypeInput, 0, arenaInput{Seq: 123456, DX: 0.5, DY: -1})
	limits := wire.Limits{MaxBytes: 16 << 10}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for range b.N {
		env, err := wire.Decode(frame, limits)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := wire.InputSeq(env.D); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeInputFrame: the input fast path every plain input takes.
func BenchmarkDecodeInputFrame(b *testing.B) {
	frame, _ := wire.Encode(wire.TypeInput, 0, arenaInput{Seq: 123456, DX: 0.5, DY: -1})
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for range b.N {
		if _, _, _, ok := wire.DecodeInputFrame(frame); !ok {
			b.Fatal("not taken")
		}
	}
}

// BenchmarkDecodeInputLibrary is the same frame through the msgpack library alone, without
// validation: what the hand-written decoders are measured against.
func BenchmarkDecodeInputLibrary(b *testing.B) {
	frame, _ := wire.Encode(wire.TypeInput, 0, arenaInput{Seq: 123456, DX: 0.5, DY: -1})
	var env wire.Envelope
	var in arenaInput
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for range b.N {
		if err := msgpack.Unmarshal(frame, &env); err != nil {
			b.Fatal(err)
		}
		if err := msgpack.Unmarshal(env.D, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJoin: a request decoded through the msgpack library, after validation.
func BenchmarkDecodeJoin(b *testing.B) {
	frame, _ := wire.Encode(wire.TypeJoin, 7, wire.Join{Lobby: "lb-3fa9c1"})
	limits := wire.Limits{MaxBytes: 16 << 10}
	var j wire.Join
	b.ReportAllocs()
	for range b.N {
		env, err := wire.Decode(frame, limits)
		if err != nil {
			b.Fatal(err)
		}
		if err := wire.DecodePayload(env.D, &j); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateSnapshot: the structure check over a whole 8-player snapshot frame.
func BenchmarkValidateSnapshot(b *testing.B) {
	state, fields := arenaState()
	frame := wire.AppendSnapshot(nil, 1, 1, state, fields, nil, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for range b.N {
		if err := wire.Validate(frame, wire.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
