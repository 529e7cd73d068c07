package arena_test

import (
	"bytes"
	"testing"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/clients/goclient/arena"
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

// TestFindPlayer: one player's row read in place agrees with the whole snapshot decoded.
func TestFindPlayer(t *testing.T) {
	players := [][6]float64{{3, 10, 20, 1, 2, 5}, {300, 400.5, 30, -1, 0, -2}, {70000, 1, 2, 3, 4, 1 << 20}}
	frame := arenaFrame(t, 1<<33, 70000, players)
	env, err := wire.Decode(frame, wire.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r := goclient.RawSnapshot{Tick: 1 << 33, Ack: 70000, D: env.D}
	s, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	full, err := arena.Decode(s)
	if err != nil || full.Tick != 1<<33 || full.Ack != 70000 || full.W != 800 || full.RoundMS != 59000 || len(full.Coins) != 1 {
		t.Fatalf("decoded %+v, %v", full, err)
	}
	for _, p := range players {
		got, ok := arena.FindPlayer(r.D, uint32(p[0]))
		want, _ := full.Player(uint32(p[0]))
		if !ok || got != want || got.Score != int(p[5]) {
			t.Fatalf("player %v: scanned %+v, decoded %+v", p[0], got, want)
		}
	}
	if _, ok := arena.FindPlayer(r.D, 4); ok {
		t.Fatal("found a player that is not there")
	}
}

// FuzzFindPlayer feeds the in-place reader any bytes at all: it must never panic nor read out
// of bounds.
func FuzzFindPlayer(f *testing.F) {
	f.Add(arenaFrame(f, 5, 3, [][6]float64{{1, 2, 3, 4, 5, 6}})[10:])
	f.Add([]byte{0x81, 0xa7, 'p', 'l', 'a', 'y', 'e', 'r', 's', 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, d []byte) {
		arena.FindPlayer(d, 1)
	})
}
