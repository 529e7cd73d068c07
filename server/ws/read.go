package ws

import (
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/wire"
)

// The read side of a connection: one goroutine per socket for its whole life, reading frames
// by hand (frame.go). On a plain TCP socket on Linux it reads inside the runtime's poller
// through syscall.RawConn: the poller is edge-triggered, so after a read that came back short
// (the kernel had no more bytes) the reader waits for the next edge at once, where a
// net.Conn.Read would first ask the kernel again and be told there is nothing: one system call
// saved per message. Behind TLS, and on systems other than Linux (conn_portable.go), it reads
// through the connection.

// errStopped ends the reading after a close frame was queued for the peer: the peer closed,
// or broke the protocol so that no later byte can be trusted. cleanup lets the writer finish
// sending the close frame before it drops the connection.
var errStopped = errors.New("stopped reading: closing")

// errHandOff stops a poller's reading of a socket at a message that the socket's own goroutine
// hands to the handler (poll_linux.go): it may wait, the poller must not.
var errHandOff = errors.New("a message to hand over off the poller")

// inBufSize is the buffer a socket borrows while it holds bytes: one read takes every frame
// a client has sent since the last, and a frame not yet whole keeps the buffer until it is.
const inBufSize = 4096

var inBufs = sync.Pool{New: func() any { b := make([]byte, 0, inBufSize); return &b }}

// inbound is what the reader holds between reads. Owned by the reader goroutine.
type inbound struct {
	pooled  *[]byte   // the buffer borrowed from inBufs, if b is it
	own     []byte    // behind TLS, a small buffer of the socket's own, kept while it waits
	b       []byte    // bytes read and not yet parsed: the start of a frame; nil when none
	need    int       // bytes the frame b begins needs in all, once its header is known
	skip    int       // payload bytes still to discard: a frame too large to keep, while closing
	frag    []byte    // a fragmented message so far
	fragOp  byte      // its opcode; 0 while no fragmented message is open
	closing bool      // the socket is closing: frames are discarded until the client's close
	now     time.Time // when the bytes being parsed were read

	polled      bool   // a poller is reading: a message Quick does not take is left in handoff
	handoff     []byte // the message a poller left for the socket's own goroutine
	handoffText bool   // whether it is text
}

// room returns the free space after the bytes held, large enough for the frame they begin.
func (in *inbound) room() []byte {
	switch {
	case in.b != nil:
	case in.own != nil:
		in.b = in.own[:0]
	default:
		in.pooled = inBufs.Get().(*[]byte)
		in.b = (*in.pooled)[:0]
	}
	if in.need > cap(in.b) {
		grown := make([]byte, len(in.b), in.need)
		copy(grown, in.b)
		in.release()
		in.b = grown
	}
	return in.b[len(in.b):cap(in.b)]
}

// release gives the borrowed buffer back; the bytes held must have been copied or used.
func (in *inbound) release() {
	if in.pooled != nil {
		*in.pooled = (*in.pooled)[:0]
		inBufs.Put(in.pooled)
		in.pooled = nil
	}
	in.b = nil
}

// readLoop reads until the connection ends and returns why it ended.
func (c *Conn) readLoop() error {
	defer c.in.release()
	if c.raw.conn != nil {
		var readErr error
		err := c.raw.conn.Read(func(fd uintptr) bool {
			readErr = c.readable(int(fd))
			return readErr != nil
		})
		if err != nil {
			return err // closed, or the read deadline passed
		}
		return readErr
	}
	// A TLS socket waits inside Read with its buffer, so it keeps one of its own, the size of a
	// few inputs, rather than holding a pooled one while idle.
	c.in.own = make([]byte, 0, 512)
	for {
		room := c.in.room()
		n, err := c.netConn.Read(room)
		if n > 0 {
			if err := c.took(n); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
}

// took acts on the n bytes just read into the room after those held, keeping the start of a
// frame that is not whole yet.
func (c *Conn) took(n int) error {
	in := &c.in
	in.b = in.b[:len(in.b)+n]
	used, err := c.frames(in.b)
	if err == errHandOff {
		in.need = 0 // the rest is parsed afresh
	} else if err != nil {
		return err
	}
	if rest := copy(in.b, in.b[used:]); rest > 0 {
		in.b = in.b[:rest]
	} else {
		in.release()
		in.need = 0
	}
	return err
}

// frames parses and acts on the whole frames at the start of b and returns how many bytes it
// used. A message over MaxMessageBytes is never kept: the socket closes 1009 and the frame's
// bytes are discarded as they come.
func (c *Conn) frames(b []byte) (int, error) {
	in := &c.in
	in.closing = in.closing || c.Closing()
	in.now = time.Now()
	c.touch(in.now)
	used := 0
	for used < len(b) {
		if in.skip > 0 {
			k := min(in.skip, len(b)-used)
			used += k
			in.skip -= k
			continue
		}
		h, ok, err := parseHead(b[used:])
		if err != nil {
			return used, c.violated(err)
		}
		if !ok {
			in.need = maxFrameHeader
			return used, nil
		}
		if h.op < opClose && (h.n > c.cfg.MaxMessageBytes-len(in.frag) || in.closing) {
			if !in.closing {
				c.closeOnRead(wire.CloseTooLarge, "frame too large")
			}
			used += h.size
			in.skip = h.n
			in.frag, in.fragOp = nil, 0
			continue
		}
		if len(b)-used < h.size+h.n {
			in.need = h.size + h.n
			return used, nil
		}
		p := b[used+h.size : used+h.size+h.n]
		used += h.size + h.n
		unmask(h.mask, p)
		if err := c.frame(h, p); err != nil {
			return used, err
		}
		if in.handoff != nil {
			return used, errHandOff
		}
	}
	return used, nil
}

// frame acts on one whole frame, its payload unmasked.
func (c *Conn) frame(h frameHead, p []byte) error {
	in := &c.in
	if in.closing {
		if h.op == opClose {
			// The client's answer to the server's close frame: the handshake is done.
			c.peerClosed(wire.CloseNormal)
			return errStopped
		}
		return nil
	}
	if h.op != opClose && !c.budget.allow(in.now, c.cfg.MsgRate, c.cfg.MsgBurst) {
		c.closeOnRead(wire.ClosePolicy, "message rate over the limit")
		return nil
	}
	switch h.op {
	case opPing:
		c.sendFrame(appendControl(make([]byte, 0, 2+len(p)), opPong, p))
	case opPong:
	case opClose:
		code, err := parseClose(p)
		if err != nil {
			return c.violated(err)
		}
		c.peerClosed(code)
		return errStopped
	case opText, opBinary:
		if in.fragOp != 0 {
			return c.violated(errInterleaved)
		}
		if !h.fin {
			in.fragOp = h.op
			in.frag = append(make([]byte, 0, max(len(p), 256)), p...)
			return nil
		}
		return c.message(h.op, p)
	case opContinuation:
		if in.fragOp == 0 {
			return c.violated(errContinuation)
		}
		in.frag = append(in.frag, p...)
		if h.fin {
			op, msg := in.fragOp, in.frag
			in.frag, in.fragOp = nil, 0
			return c.message(op, msg)
		}
	}
	return nil
}

// message hands one whole message to the handler. A message may close the socket (a full send
// queue, a malformed request, a revoked session): the reader then discards what follows.
func (c *Conn) message(op byte, p []byte) error {
	c.cfg.Metrics.FramesIn.Inc()
	c.cfg.Metrics.BytesIn.Add(float64(len(p)))
	if op == opText {
		if c.cfg.BinaryOnly {
			c.closeOnRead(wire.CloseUnsupported, "binary frames only")
			return nil
		}
		if !utf8.Valid(p) {
			return c.violated(errText)
		}
	}
	if c.in.polled {
		if q, ok := c.h.(QuickHandler); !ok || !q.Quick(p, op == opText) {
			c.in.handoff = append(make([]byte, 0, len(p)), p...)
			c.in.handoffText = op == opText
		}
	} else {
		c.h.Message(p, op == opText)
	}
	c.in.closing = c.in.closing || c.Closing()
	return nil
}

// closeOnRead starts the closing handshake for something the client sent; the reader goes on
// discarding frames until the client's close frame.
func (c *Conn) closeOnRead(code int, reason string) {
	c.in.closing = true
	c.Close(code, reason)
}

// violated closes the socket for a frame that breaks the WebSocket protocol. Nothing after it
// can be trusted to be framed, so reading stops once the close frame is queued.
func (c *Conn) violated(err error) error {
	var v *violation
	if errors.As(err, &v) {
		c.violation(v)
	}
	c.in.closing = true
	return errStopped
}

// touch moves the read deadline on: the client is alive. The deadline only moves when it is
// more than a tenth of PongWait old, so a client sending every tick costs no timer update per
// frame. Holding mu orders it with closeLocked, which shortens the deadline for the handshake.
func (c *Conn) touch(now time.Time) {
	wait := c.cfg.PongWait
	if c.readUntil.Sub(now) > wait-wait/10 {
		return
	}
	c.mu.Lock()
	if c.state() == stateOpen {
		c.readUntil = now.Add(wait)
		c.setReadDeadline(c.readUntil)
	}
	c.mu.Unlock()
}

// frameBudget is a socket's message rate limit: a token bucket of burst frames refilled at rate
// per second. It is written here rather than taken from golang.org/x/time/rate because its one
// user is the socket's reader goroutine, once per frame: rate.Limiter guards every call with a
// mutex in its own allocation, which at a thousand sockets was the costliest lock of the server.
// The zero value is a full bucket.
type frameBudget struct {
	used float64   // tokens spent and not yet refilled, 0 to burst
	last time.Time // when used was last brought up to date
}

// allow spends one token at now, and reports whether there was one.
func (b *frameBudget) allow(now time.Time, rate float64, burst int) bool {
	if !b.last.IsZero() {
		b.used = max(0, b.used-now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.used+1 > float64(burst) {
		return false
	}
	b.used++
	return true
}
