package goclient_test

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
)

// BenchmarkDispatchSnapshot is a bot's cost per snapshot once the socket has read it: find tick,
// ack and the bot's own row. It must not allocate.
func BenchmarkDispatchSnapshot(b *testing.B) {
	players := make([][6]float64, 8)
	for i := range players {
		players[i] = [6]float64{float64(i + 1), 100, 200, 10, 10, 3}
	}
	frame := goclient.ArenaFrame(b, 12345, 678, players)
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
	frame := goclient.ArenaFrame(t, 1, 1, [][6]float64{{1, 2, 3, 4, 5, 6}})
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
