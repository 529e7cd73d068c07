package server

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/ws"
)

// benchSockets is n upgraded sockets on loopback: the server's ends, and client ends that
// read and discard every message and count them.
type benchSockets struct {
	server   []*websocket.Conn
	received atomic.Int64
	target   atomic.Int64
	reached  chan struct{}
}

func newBenchSockets(b *testing.B, n int) *benchSockets {
	bs := &benchSockets{reached: make(chan struct{}, 1)}
	up := newUpgrader()
	accepted := make(chan *websocket.Conn, n)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			b.Error(err)
			return
		}
		accepted <- ws
	})}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	d := websocket.Dialer{ReadBufferSize: 4096}
	for range n {
		cws, _, err := d.Dial("ws://"+ln.Addr().String()+"/", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cws.Close() })
		bs.server = append(bs.server, <-accepted)
		go func() {
			for {
				_, r, err := cws.NextReader()
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, r)
				if bs.received.Add(1) == bs.target.Load() {
					bs.reached <- struct{}{}
				}
			}
		}()
	}
	for _, ws := range bs.server {
		b.Cleanup(func() { ws.Close() })
	}
	return bs
}

// benchState is a real arena's shared state with 8 players, encoded once as a lobby does.
func benchState() ([]byte, int) {
	g := arena.New(arena.DefaultRules, game.Config{TickRate: 20, MaxPlayers: 8, Seed: 1})
	for i := range 8 {
		g.Join(game.Player{ID: game.PlayerID(i + 1), Name: "p"})
	}
	g.StartRound()
	for range 40 {
		g.Step(50 * time.Millisecond)
	}
	sw := game.NewStateWriter()
	g.WriteState(0, sw)
	state, fields := sw.Bytes()
	return append([]byte(nil), state...), fields
}

// BenchmarkBroadcast sends one snapshot per op to every one of n sockets and waits until all
// have read it. Three ways, on the same bytes:
//   - conn: the server's own path, Snapshot on each member as a lobby calls it (each member's
//     frame has its own ack, so no frame is shared), one non-blocking write per frame;
//   - prepared: one frame encoded once in a websocket.PreparedMessage, written to each socket
//     in turn, as a broadcaster that may share frames would;
//   - bare: the same framed bytes written to each TCP connection in turn, the floor.
//
// ns/delivery is the wall time per socket reached; lobby-ns/member is what the broadcasting
// goroutine (the lobby's tick) spends per member. The reading clients run in the same process,
// so their cost is in every figure alike.
func BenchmarkBroadcast(b *testing.B) {
	state, fields := benchState()
	frame := appendSnapshot(make([]byte, ws.HeaderRoom, 1024), game.Snapshot{Tick: 1, Ack: 1, State: state, Fields: fields})
	payload := append([]byte(nil), frame[ws.HeaderRoom:]...)
	framed := ws.Framed(frame)
	for _, n := range []int{8, 100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d/conn", n), func(b *testing.B) {
			bs := newBenchSockets(b, n)
			s := &Server{cfg: DefaultConfig(), log: slog.New(slog.DiscardHandler), conns: newConnSet()}
			s.metrics = newMetrics(s)
			s.wsCfg = s.wsConfig()
			conns := make([]*conn, n)
			for i, up := range bs.server {
				c := &conn{srv: s}
				t := ws.New(s.wsCfg, c)
				t.Attach(up.NetConn())
				c.t = t
				conns[i] = c
			}
			bs.run(b, n, int64(len(payload)), func(i int) {
				for _, c := range conns {
					c.Snapshot(game.Snapshot{Tick: uint64(i), Ack: uint32(i), State: state, Fields: fields})
				}
			})
		})
		b.Run(fmt.Sprintf("sockets=%d/prepared", n), func(b *testing.B) {
			bs := newBenchSockets(b, n)
			bs.run(b, n, int64(len(payload)), func(int) {
				pm, err := websocket.NewPreparedMessage(websocket.BinaryMessage, payload)
				if err != nil {
					b.Fatal(err)
				}
				for _, ws := range bs.server {
					if err := ws.WritePreparedMessage(pm); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run(fmt.Sprintf("sockets=%d/bare", n), func(b *testing.B) {
			bs := newBenchSockets(b, n)
			bs.run(b, n, int64(len(payload)), func(int) {
				for _, ws := range bs.server {
					if _, err := ws.NetConn().Write(framed); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// run times b.N broadcasts, each waiting until all n sockets have read it.
func (bs *benchSockets) run(b *testing.B, n int, size int64, broadcast func(i int)) {
	b.ReportAllocs()
	b.SetBytes(size * int64(n))
	var lobby time.Duration
	b.ResetTimer()
	for i := range b.N {
		bs.target.Store(int64(n) * int64(i+1))
		start := time.Now()
		broadcast(i)
		lobby += time.Since(start)
		<-bs.reached
	}
	b.StopTimer()
	deliveries := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(float64(lobby.Nanoseconds())/deliveries, "lobby-ns/member")
}
