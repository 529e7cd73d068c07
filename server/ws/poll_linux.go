//go:build !tickwire_portable

package ws

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Linux read path of a plain TCP socket: no goroutine per socket. A few pollers (one per
// processor the runtime uses) each keep an epoll set of their sockets, edge-triggered, and one
// goroutine that reads every socket that has bytes, parses its frames and hands its inputs to
// its lobby, all in one wake-up however many sockets were ready. Reading inside the runtime's
// poller instead costs a goroutine wake-up per socket per tick, a switch onto that socket's
// stack and off again, and the stack itself: at a thousand players sending twenty inputs a
// second, the largest cost of the server above the system calls.
//
// A poller's epoll set is itself a descriptor that the runtime's poller waits on, so the
// poller's goroutine parks like any other while no socket is ready, holds no thread, and is
// woken by the runtime when one is. It then takes the ready sockets with epoll_wait that does
// not wait.
//
// Only control frames, frames that close the socket, and the messages the handler takes as
// quick (QuickHandler: a game's inputs) are handled on the poller's goroutine: none of them
// waits. Any other message (a join, a create, a reauth) may wait on a lobby or on the store, so
// the socket is handed to a goroutine of its own for it, which goes on reading the socket until
// it has nothing more to say and hands it back (Conn.owned). Sockets that end are cleaned up on
// a goroutine too, as that waits for the close frame to be written.
//
// Read deadlines are kept by the pollers as well: each socket's deadline (Conn.readBy) is a
// number, and a timerfd in the epoll set wakes the poller every pollSweep to end the sockets
// whose deadline has passed. That costs nothing per frame, where a deadline in the runtime is a
// timer to move.
//
// Writing is as on the other paths: replaceable frames straight from the caller (writeNow), the rest through the
// writer goroutine and net.Conn.Write, so the socket stays in the runtime's poller for the
// writer's waits and the write deadline. Libraries with their own event loop (gnet, and the
// netpoll packages of others) own the listener, the connection and its buffers, so the HTTP
// handshake through echo and gorilla, TLS, and the portable path could not share the socket
// code with them; the loop needed here is a small part of theirs, so it is written here.

// pollSweep is how often a poller looks for sockets whose read deadline has passed: how late,
// at most, a silent client is dropped past --pong-wait, and a closing handshake past closeWait.
const pollSweep = 100 * time.Millisecond

// pollEvents is how many ready sockets one epoll_wait takes.
const pollEvents = 256

// pollReads is how many full buffers a poller reads from one socket before it reads the others:
// a client that sends without pause delays the rest by that much at most, and is read on after
// them (errYield).
const pollReads = 4

// errYield is a poller's reading of a socket stopped at pollReads with bytes left to read.
var errYield = errors.New("more to read after the other sockets")

// The read states of a polled socket (Conn.pstate). The poller reads a socket only in
// readPolled; a socket's own goroutine reads it in readOwned, and the poller, finding bytes for
// it meanwhile, marks it readMissed so that the goroutine reads again before it hands the
// socket back. Only the poller moves a socket from readPolled to readOwned; only the goroutine
// moves it back; so one of them at a time owns the socket's read state (Conn.in, and the handler's
// own read state), and the atomic state orders what each did before the handover.
const (
	readPolled int32 = iota
	readOwned
	readMissed
)

// timerSlot is the epoll tag of a poller's timerfd; sockets are tagged with their slot.
const timerSlot = -1

// monoBase is the origin of the pollers' deadlines, so that a deadline is an int64 on the
// monotonic clock.
var monoBase = time.Now()

func monoNanos(t time.Time) int64 { return int64(t.Sub(monoBase)) }

// Pollers are the epoll loops that read a server's plain TCP sockets.
type Pollers struct {
	mu      sync.Mutex
	pollers []*poller
	next    int
	closed  bool // close was called, or the pollers could not be made: sockets read on their own
	wg      sync.WaitGroup
}

// NewPollers returns a server's pollers, none running yet: they start with the first socket
// given to them (Conn.Start) and stop with Close.
func NewPollers() *Pollers { return &Pollers{} }

// pick returns the poller to read c, or nil when c is read by a goroutine of its own (behind
// TLS, or without pollers).
func (ps *Pollers) pick(c *Conn) *poller {
	if ps == nil || c.raw.conn == nil {
		return nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return nil
	}
	if ps.pollers == nil {
		for range runtime.GOMAXPROCS(0) {
			p, err := newPoller()
			if err != nil {
				break
			}
			ps.pollers = append(ps.pollers, p)
			ps.wg.Add(1)
			go func() {
				defer ps.wg.Done()
				p.run()
			}()
		}
		if ps.pollers == nil {
			ps.closed = true
			return nil
		}
	}
	p := ps.pollers[ps.next%len(ps.pollers)]
	ps.next++
	return p
}

// Close stops the pollers; the sockets they still read are dropped. Sockets started after it
// are read by goroutines of their own.
func (ps *Pollers) Close() {
	ps.mu.Lock()
	ps.closed = true
	pollers := ps.pollers
	ps.mu.Unlock()
	for _, p := range pollers {
		p.closed.Store(true)
		_ = p.file.Close()
	}
	ps.wg.Wait()
}

// poller is one epoll set of sockets and the goroutine that reads them.
type poller struct {
	ep     int      // the epoll set
	timer  int      // the timerfd of the sweeps, in ep
	file   *os.File // ep, for the runtime's poller to wait on
	rc     syscall.RawConn
	closed atomic.Bool

	mu    sync.Mutex
	socks []*Conn // by slot; nil in a free slot
	free  []int32 // free slots
}

func newPoller() (*poller, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		unix.Close(ep)
		return nil, err
	}
	every := unix.NsecToTimespec(int64(pollSweep))
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: timerSlot}
	if err = unix.TimerfdSettime(tfd, 0, &unix.ItimerSpec{Interval: every, Value: every}, nil); err == nil {
		err = unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, tfd, &ev)
	}
	if err == nil {
		err = unix.SetNonblock(ep, true)
	}
	if err != nil {
		unix.Close(tfd)
		unix.Close(ep)
		return nil, err
	}
	p := &poller{ep: ep, timer: tfd, file: os.NewFile(uintptr(ep), "epoll")}
	if p.rc, err = p.file.SyscallConn(); err != nil {
		p.file.Close()
		unix.Close(tfd)
		return nil, err
	}
	return p, nil
}

// add puts c, whose read state the caller has set up, in the epoll set. Bytes that came
// before are reported at once.
func (p *poller) add(c *Conn) error {
	p.mu.Lock()
	var slot int32
	if n := len(p.free); n > 0 {
		slot = p.free[n-1]
		p.free = p.free[:n-1]
		p.socks[slot] = c
	} else {
		slot = int32(len(p.socks))
		p.socks = append(p.socks, c)
	}
	c.slot = slot
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: slot}
	if err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, c.raw.fd, &ev); err != nil {
		p.forget(c)
		return err
	}
	return nil
}

// remove takes c out of the epoll set, before its descriptor is closed.
func (p *poller) remove(c *Conn) {
	_ = unix.EpollCtl(p.ep, unix.EPOLL_CTL_DEL, c.raw.fd, nil)
	p.forget(c)
}

func (p *poller) forget(c *Conn) {
	p.mu.Lock()
	if p.socks[c.slot] == c {
		p.socks[c.slot] = nil
		p.free = append(p.free, c.slot)
	}
	p.mu.Unlock()
}

// epollWaitNow is epoll_wait(2) with no wait, as a bare system call for the reason rawRead is
// (conn_linux.go): it never blocks.
func epollWaitNow(ep int, events []unix.EpollEvent) (int, error) {
	n, _, e := syscall.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// run is the poller's goroutine: it waits in the runtime's poller for the epoll set to have
// ready sockets, reads them all, and waits again, until close.
func (p *poller) run() {
	events := make([]unix.EpollEvent, pollEvents)
	ready := make([]*Conn, 0, pollEvents)
	var again []*Conn // sockets left with bytes to read (errYield), read on in the next round
	_ = p.rc.Read(func(uintptr) bool {
		for {
			n, err := epollWaitNow(p.ep, events)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || p.closed.Load() {
				return true
			}
			sweep := false
			ready = append(ready, again...)
			clear(again)
			again = again[:0]
			p.mu.Lock()
			for _, ev := range events[:n] {
				if ev.Fd == timerSlot {
					sweep = true
				} else if c := p.socks[ev.Fd]; c != nil {
					ready = append(ready, c)
				}
			}
			p.mu.Unlock()
			for i, c := range ready {
				if c.polled() {
					again = append(again, c)
				}
				ready[i] = nil
			}
			ready = ready[:0]
			if sweep {
				p.sweep()
			}
			if n < len(events) && len(again) == 0 {
				return false // drained: wait for the set's next edge
			}
		}
	})
	p.drop()
	unix.Close(p.timer)
}

// sweep ends the sockets whose read deadline has passed, as a read deadline in the runtime
// would have: the silent ones, and those whose closing handshake took too long. A socket that
// its own goroutine reads is looked at again in the next sweep.
func (p *poller) sweep() {
	var buf [8]byte
	_, _ = rawRead(p.timer, buf[:])
	now := monoNanos(time.Now())
	var ended []*Conn
	p.mu.Lock()
	for _, c := range p.socks {
		if c != nil && c.readBy.Load() < now && c.pstate.CompareAndSwap(readPolled, readOwned) {
			ended = append(ended, c)
		}
	}
	p.mu.Unlock()
	for _, c := range ended {
		go c.endPolled(os.ErrDeadlineExceeded)
	}
}

// drop ends every socket the stopped poller still reads; those that their own goroutine reads
// end when it would hand them back (Conn.handBack).
func (p *poller) drop() {
	var ended []*Conn
	p.mu.Lock()
	for _, c := range p.socks {
		if c != nil && c.pstate.CompareAndSwap(readPolled, readOwned) {
			ended = append(ended, c)
		}
	}
	p.mu.Unlock()
	for _, c := range ended {
		go c.endPolled(net.ErrClosed)
	}
}

// polled reads c on the poller's goroutine, which the poller found with bytes to read. It
// reports true when bytes are left to read once the other sockets have been read.
func (c *Conn) polled() bool {
	for {
		switch c.pstate.Load() {
		case readPolled:
			c.in.polled = true
			err := c.readable(c.raw.fd)
			c.in.polled = false
			switch err {
			case nil:
			case errYield:
				return true
			default:
				// A request to answer, or the end: either may wait, so not here.
				c.pstate.Store(readOwned)
				go c.owned(err)
			}
			return false
		case readOwned:
			if c.pstate.CompareAndSwap(readOwned, readMissed) {
				return false
			}
		default:
			return false
		}
	}
}

// owned is the socket's own goroutine, from the poller's handing it over until it hands it
// back: it answers the request the poller left (errHandOff), reads on with requests answered
// here, and ends the socket when err or a read says so.
func (c *Conn) owned(err error) {
	for {
		if err == errHandOff {
			req := c.in.handoff
			c.in.handoff = nil
			c.h.Message(req, c.in.handoffText)
			c.in.closing = c.in.closing || c.Closing()
			err = nil
			if len(c.in.b) > 0 {
				// Frames that came with the request, behind it.
				err = c.took(0)
			}
		}
		if err == nil {
			err = c.readable(c.raw.fd)
		}
		if err != nil {
			c.endPolled(err)
			return
		}
		if c.handBack() {
			return
		}
	}
}

// handBack gives c back to its poller, and reports false when bytes came meanwhile, which the
// caller, still owning c, reads first.
func (c *Conn) handBack() bool {
	if !c.pstate.CompareAndSwap(readOwned, readPolled) {
		c.pstate.Store(readOwned) // it was readMissed
		return false
	}
	if c.poll.closed.Load() && c.pstate.CompareAndSwap(readPolled, readOwned) {
		// The poller stopped: nobody will read c again.
		c.endPolled(net.ErrClosed)
	}
	return true
}

// stopReading makes the poller end c, whose stream broke: the read side is shut, so that the
// poller finds c readable and reads its end at once, and its deadline is past, for the sweep
// to end it should that not come.
func (c *Conn) stopReading() {
	c.readBy.Store(0)
	if tc, ok := c.netConn.(*net.TCPConn); ok {
		_ = tc.CloseRead() // through net, which knows whether cleanup has closed it meanwhile
	}
}

// endPolled ends a polled socket on its own goroutine, which owns its read state.
func (c *Conn) endPolled(err error) {
	c.in.release()
	c.poll.remove(c)
	c.cleanup(err)
	c.end(err)
}

// Start serves c once it is attached: a poller of p reads it when p has one for it (a plain TCP
// socket on Linux), a goroutine of its own (Run) otherwise; end is called once, on a goroutine
// of c's, with why reading ended, after the connection is dropped. It does not wait.
func (c *Conn) Start(p *Pollers, end func(error)) {
	c.mu.Lock()
	c.poll = p.pick(c)
	c.end = end
	c.mu.Unlock()
	if c.poll == nil {
		go func() { end(c.Run()) }()
		return
	}
	c.arm()
	if err := c.poll.add(c); err != nil {
		c.pstate.Store(readOwned)
		go c.endPolled(err)
	}
}
