package goclient

import (
	"context"
	"testing"
	"time"
)

// NewTestConn returns a Conn with no socket, and DispatchFrame hands it one frame as its reader
// would, for the tests of package goclient_test and their benchmarks.
func NewTestConn(opts Options) (*Conn, func()) {
	c := newConn(nil, "", opts)
	return c, c.cancel
}

// DispatchFrame routes one frame as the reader goroutine does.
func DispatchFrame(c *Conn, frame []byte, now time.Time) { c.dispatch(frame, now) }

// MoveTo moves c to the socket endpoint wsURL as a join answered moved would, so that a test
// needs no cluster to have a Conn away from the node it was first given.
func MoveTo(ctx context.Context, c *Conn, wsURL string) error { return c.moveTo(ctx, wsURL) }

// ArenaFrame is arenaFrame (scan_test.go), for the tests of package goclient_test.
func ArenaFrame(tb testing.TB, tick uint64, ack uint32, players [][6]float64) []byte {
	return arenaFrame(tb, tick, ack, players)
}
