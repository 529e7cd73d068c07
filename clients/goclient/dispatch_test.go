package goclient_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// BenchmarkDispatchSnapshot is a bot's cost per snapshot once the socket has read it: find tick,
// ack and the bot's own row. It must not allocate.
func BenchmarkDispatchSnapshot(b *testing.B) {
	players := make([][6]float64, 8)
	for i := range players {
		players[i] = [6]float64{float64(i + 1), 100, 200, 10, 10, 3}
	}
	frame := arenaFrame(b, 12345, 678, players)
	var sum float32
	c, stop := goclient.NewTestConn(goclient.Options{OnSnapshot: func(r *goclient.RawSnapshot) {
		p, _ := clientarena.FindPlayer(r.D, 7)
		sum += p.X + float32(r.Ack)
	}})
	defer stop()
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		goclient.DispatchFrame(c, frame, now)
	}
	if sum == 0 {
		b.Fatal("no snapshot seen")
	}
}

func TestDispatchSnapshotAllocatesNothing(t *testing.T) {
	frame := arenaFrame(t, 1, 1, [][6]float64{{1, 2, 3, 4, 5, 6}})
	seen := false
	c, stop := goclient.NewTestConn(goclient.Options{OnSnapshot: func(r *goclient.RawSnapshot) {
		_, seen = clientarena.FindPlayer(r.D, 1)
	}})
	defer stop()
	if n := testing.AllocsPerRun(100, func() { goclient.DispatchFrame(c, frame, time.Time{}) }); n != 0 {
		t.Fatalf("%v allocations per snapshot", n)
	}
	if !seen {
		t.Fatal("the player was not found")
	}
}

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
