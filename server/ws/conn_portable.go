//go:build !linux || tickwire_portable

package ws

import (
	"errors"
	"net"
	"syscall"
)

// The portable path: on systems other than Linux, and on Linux built with the tickwire_portable
// tag, every socket is served the way a TLS socket is on Linux: the reader reads through
// net.Conn.Read with a small buffer of its own, and every frame goes through the writer
// goroutine and net.Conn.Write, so the standard library's poller does the waiting. It costs a
// goroutine wake-up per snapshot and a system call per read more than the fast path
// (conn_linux.go), and behaves the same on the wire.

// errNoRawPath is never returned in practice: rawSocket.conn stays nil, so neither caller runs.
var errNoRawPath = errors.New("raw socket path not built on this system")

// rawSocket keeps no descriptor here: conn stays nil, as behind TLS.
type rawSocket struct {
	conn syscall.RawConn // always nil
}

// init leaves conn nil: every socket reads and writes through net.Conn.
func (r *rawSocket) init(net.Conn) {}

// writeOnce is not reached: the direct write needs conn.
func (r *rawSocket) writeOnce([]byte) (int, error) { return 0, errNoRawPath }

// readable is not reached: the read inside the poller needs conn.
func (c *Conn) readable(int) error { return errNoRawPath }
