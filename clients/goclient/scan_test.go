package goclient

import (
	"bytes"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// arenaFrame builds a snapshot frame the way the server does: tick and ack, then the arena's
// fields, encoded by the msgpack library with compact ints.
func arenaFrame(tb testing.TB, tick uint64, ack uint32, players [][6]float64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	_ = enc.EncodeString("w")
	_ = enc.EncodeFloat32(800)
	_ = enc.EncodeString("round_ms")
	_ = enc.EncodeUint(59000)
	_ = enc.EncodeString("players")
	_ = enc.EncodeArrayLen(len(players))
	for _, p := range players {
		_ = enc.EncodeArrayLen(6)
		_ = enc.EncodeUint(uint64(p[0]))
		for _, f := range p[1:5] {
			_ = enc.EncodeFloat32(float32(f))
		}
		_ = enc.EncodeInt(int64(p[5]))
	}
	_ = enc.EncodeString("coins")
	_ = enc.EncodeArrayLen(1)
	_ = enc.EncodeArrayLen(3)
	_ = enc.EncodeUint(7)
	_ = enc.EncodeFloat32(1)
	_ = enc.EncodeFloat32(2)
	return wire.AppendSnapshot(nil, tick, ack, buf.Bytes(), 4, nil, 0)
}

func TestScanSnapshot(t *testing.T) {
	players := [][6]float64{{3, 10, 20, 1, 2, 5}, {300, 400.5, 30, -1, 0, -2}, {70000, 1, 2, 3, 4, 1 << 20}}
	frame := arenaFrame(t, 1<<33, 70000, players)
	if err := wire.Validate(frame, wire.Limits{}); err != nil {
		t.Fatal(err)
	}
	typ, id, d, ok := scanEnvelope(frame)
	if !ok || string(typ) != wire.TypeSnapshot || id != 0 {
		t.Fatalf("envelope: %q %d %v", typ, id, ok)
	}
	tick, ack, ok := scanTickAck(d)
	if !ok || tick != 1<<33 || ack != 70000 {
		t.Fatalf("tick %d ack %d ok %v", tick, ack, ok)
	}
	r := RawSnapshot{Tick: tick, Ack: ack, D: d}
	full, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	// One player's row read in place is clients/goclient/arena's (TestFindPlayer there).
	if full.Tick != tick || full.Ack != ack || !bytes.Equal(full.State, d) || &full.State[0] == &d[0] {
		t.Fatalf("decoded %+v: not the payload's own copy", full)
	}
	if _, err := (&RawSnapshot{D: d[:len(d)-1]}).Decode(); err == nil {
		t.Fatal("a truncated payload decoded")
	}
}

func TestScanEnvelopeWithID(t *testing.T) {
	frame, err := wire.Encode(wire.TypeJoined, 300, wire.Joined{Player: 2})
	if err != nil {
		t.Fatal(err)
	}
	typ, id, d, ok := scanEnvelope(frame)
	var j wire.Joined
	if !ok || string(typ) != wire.TypeJoined || id != 300 || wire.DecodePayload(d, &j) != nil || j.Player != 2 {
		t.Fatalf("%q %d %v %+v", typ, id, ok, j)
	}
}

// FuzzScan feeds the scanner any bytes at all: it must never panic nor read out of bounds.
func FuzzScan(f *testing.F) {
	f.Add(arenaFrame(f, 5, 3, [][6]float64{{1, 2, 3, 4, 5, 6}}))
	f.Add([]byte{0x82, 0xa1, 't', 0xa8, 's', 'n', 'a', 'p', 's', 'h', 'o', 't', 0xa1, 'd', 0x90})
	f.Add([]byte{0x81, 0xa1, 'd', 0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, d, ok := scanEnvelope(b)
		if !ok {
			return
		}
		scanTickAck(d)
		r := RawSnapshot{D: d}
		_, _ = r.Decode()
	})
}

func TestSendInputEncoding(t *testing.T) {
	c := newConn(nil, "", Options{})
	defer c.cancel()
	// The arena's fields, as clients/goclient/arena encodes them.
	fields := wire.AppendString(nil, "dx")
	fields = wire.AppendFloat32(fields, -0.5)
	fields = wire.AppendString(fields, "dy")
	fields = wire.AppendFloat32(fields, 1)
	fields = wire.AppendString(fields, "b")
	fields = wire.AppendUint(fields, 3)
	_ = c.SendInput(70000, 3, fields) // no socket: encodes, then fails
	env, err := wire.Decode(c.wbuf, wire.Limits{})
	if err != nil || env.T != wire.TypeInput {
		t.Fatalf("%v %q", err, env.T)
	}
	type arenaInput struct {
		Seq     uint32  `msgpack:"seq"`
		DX      float32 `msgpack:"dx"`
		DY      float32 `msgpack:"dy"`
		Buttons uint32  `msgpack:"b,omitempty"`
	}
	var in arenaInput
	if err := msgpack.Unmarshal(env.D, &in); err != nil || in != (arenaInput{Seq: 70000, DX: -0.5, DY: 1, Buttons: 3}) {
		t.Fatalf("decoded %+v, %v", in, err)
	}
	if seq, err := wire.InputSeq(env.D); err != nil || seq != 70000 {
		t.Fatalf("seq %d, %v", seq, err)
	}
}

func TestScanEnvelopePayloadFirst(t *testing.T) {
	frame := []byte{0x82, 0xa1, 'd', 0x81, 0xa1, 'x', 0x01, 0xa1, 't', 0xa2, 'o', 'k'}
	typ, _, d, ok := scanEnvelope(frame)
	if !ok || string(typ) != "ok" || !bytes.Equal(d, []byte{0x81, 0xa1, 'x', 0x01}) {
		t.Fatalf("%q %x %v", typ, d, ok)
	}
}
