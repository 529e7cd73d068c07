package goclient

import "time"

// NewTestConn returns a Conn with no socket, and DispatchFrame hands it one frame as its reader
// would, for the tests of package goclient_test and their benchmarks.
func NewTestConn(opts Options) (*Conn, func()) {
	c := newConn(nil, "", opts)
	return c, c.cancel
}

// DispatchFrame routes one frame as the reader goroutine does.
func DispatchFrame(c *Conn, frame []byte, now time.Time) { c.dispatch(frame, now) }
