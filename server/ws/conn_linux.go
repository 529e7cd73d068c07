//go:build !tickwire_portable

package ws

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// The Linux fast path of a plain TCP socket: reads inside the poller (Conn.readable) and
// snapshots written straight from the lobby's goroutine (rawSocket.writeOnce), both with bare
// system calls. Other systems, and Linux built with the tickwire_portable tag, take the path of
// TLS sockets instead (conn_portable.go).

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket, made without telling
// the scheduler. syscall.Read and syscall.Write announce every call as one that may block
// (entersyscall, exitsyscall), so that the runtime's monitor can hand the processor to another
// thread if the call runs long; a call on a non-blocking descriptor never waits, and with a read
// and a write per player per tick that bookkeeping, and the handoffs it sometimes triggers while
// the kernel copies a frame, cost more than the calls' own user-side work. The standard library
// has no such call for a descriptor of net's, so they are written here. The descriptor must be
// non-blocking: the caller holds its processor until the kernel returns.

func rawRead(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// rawSocket is a plain TCP socket's descriptor, for writes that must not wait. writeNow writes
// on it with a bare system call rather than through the runtime's poller (RawConn.Control): the
// poller's reference count and write lock were, at a thousand sockets, a cache miss per
// snapshot for protection that Conn already gives. writing (under Conn.mu) keeps writeNow and
// the writer goroutine from ever writing at once, and direct (under Conn.mu) keeps cleanup from
// closing the descriptor while writeNow may still use it.
type rawSocket struct {
	conn syscall.RawConn // nil behind TLS
	fd   int
}

// init takes nc's descriptor when nc is plain TCP; behind TLS it leaves conn nil.
func (r *rawSocket) init(nc net.Conn) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	if rc.Control(func(fd uintptr) { r.fd = int(fd) }) == nil {
		r.conn = rc
	}
}

// writeOnce writes out once on the non-blocking descriptor and returns how much the kernel
// took: what it did not take at once (EAGAIN, n short) is left to the writer goroutine.
func (r *rawSocket) writeOnce(out []byte) (int, error) {
	for {
		n, err := rawWrite(r.fd, out)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, nil
		case nil:
			return n, nil
		}
		return 0, err
	}
}

// readable reads the socket, inside the poller, until a read comes back short, and acts on
// every whole frame. It returns nil to wait for the socket's next bytes, or why reading ends.
func (c *Conn) readable(fd int) error {
	for reads := 1; ; reads++ {
		room := c.in.room()
		n, err := rawRead(fd, room)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if len(c.in.b) == 0 {
				c.in.release()
			}
			return nil
		case err != nil:
			return err
		case n == 0:
			return io.EOF
		}
		if err := c.took(n); err != nil {
			return err
		}
		if n < len(room) {
			return nil
		}
		if c.in.polled && reads == pollReads {
			return errYield // a poller reads the other sockets first
		}
	}
}
