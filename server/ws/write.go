package ws

import (
	"sync"
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// The send side of a connection. Sessions, lobbies and timers hand frames over without
// blocking: frames go to a bounded queue (Send), replaceable frames to a small ring where the
// newest replaces the oldest not yet written (SendLatest, latest-wins). A writer goroutine runs
// only while there is something to send, so an idle socket holds no goroutine for writing; it
// writes queued frames first, then the replaceable ones, and last, when the connection closes,
// the close frame.
//
// The common case takes a shorter way: a replaceable frame for a plain TCP socket with nothing
// waiting is written by the caller's goroutine itself (a lobby's, once per tick), in one
// non-blocking write on the descriptor (rawSocket), so a tick costs no goroutine per player.
// What the kernel does not take at once (its send buffer is full) goes to the writer goroutine,
// which finishes the frame under the write deadline before anything else; the caller never
// waits on a peer.
//
// The ring lives here rather than in the session because whether a frame may be written at once
// depends on everything else waiting to be written, the queue, the ring, the unwritten tail of a
// direct write, and on who holds the descriptor: all of it is the write side's state under one
// mutex, and a session keeping its own ring would need to see into it. To the transport a
// snapshot is only a frame that the next one makes worthless.
//
// Frames are framed here and written to the network connection in one write each, rather than
// through gorilla's writer: gorilla copies every message into a pooled buffer and boxes it into
// an interface when it returns it to the pool, an allocation per frame on the hottest path of the
// server. A server's frame is a two-to-ten-byte header (RFC 6455 §5.2, unmasked), so each frame
// is encoded behind HeaderRoom spare bytes and the header is written into them. Writes on one
// connection never interleave, and the close frame comes last from the writer.

// frameBufs are the buffers of SendLatest's frames.
var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Buffer returns a pooled buffer for SendLatest, holding HeaderRoom bytes of room for the
// header: append the payload to *bp. SendLatest gives it back to the pool.
func Buffer() *[]byte {
	bp := frameBufs.Get().(*[]byte)
	*bp = (*bp)[:HeaderRoom]
	return bp
}

func putFrameBuf(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		*bp = (*bp)[:0]
		frameBufs.Put(bp)
	}
}

// writerMode is who writes on a Conn's connection, if anyone: one writer at a time, so that
// frames never interleave.
type writerMode uint8

const (
	writerIdle    writerMode = iota // no one: Send starts the writer goroutine, SendLatest may write at once
	writerRunning                   // the writer goroutine, until the queues are empty
	writerDirect                    // writeNow, on SendLatest's caller's goroutine: cleanup waits for it to close the descriptor
)

// snapshotDepth is how many replaceable frames may wait for the writer before the oldest is
// dropped for the newest (latest-wins). More than one rides out a writer that the scheduler runs
// a tick or three late on a busy machine; it adds no latency for a peer that cannot keep up,
// whose writer is blocked behind a full kernel send buffer anyway.
const snapshotDepth = 4

// snapRing holds the replaceable frames a connection has not written yet, oldest at head, each
// a payload behind HeaderRoom bytes in a pooled buffer. A socket gets one with its first such
// frame, so one that is in no lobby pays nothing for it.
type snapRing struct {
	buf        [snapshotDepth]*[]byte
	head, n    int
	stuckSince time.Time // when a frame was first superseded unsent; zero while the writer keeps up
}

// take removes the oldest frame; the caller releases it. Called with mu held and r.n > 0.
func (r *snapRing) take() *[]byte {
	bp := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % snapshotDepth
	r.n--
	r.stuckSince = time.Time{}
	return bp
}

// SendLatest sends a binary frame that a newer one makes worthless (a snapshot): its payload is
// in *bp behind HeaderRoom bytes, in a buffer from Buffer, which c owns from here on. It joins
// those not yet written, replacing the oldest when snapshotDepth wait. A peer that has not taken
// one for StallTimeout, with frames superseded meanwhile, is too slow and is closed 4008; until
// then it costs the caller nothing but this call.
func (c *Conn) SendLatest(bp *[]byte) {
	c.mu.Lock()
	if c.state() != stateOpen {
		c.mu.Unlock()
		putFrameBuf(bp)
		return
	}
	if c.raw.conn != nil && c.writer == writerIdle && len(c.queue) == 0 && (c.snaps == nil || c.snaps.n == 0) {
		c.writer = writerDirect
		c.mu.Unlock()
		c.writeNow(bp)
		return
	}
	defer c.mu.Unlock()
	r := c.snaps
	if r == nil {
		r = &snapRing{}
		c.snaps = r
	}
	if r.n == snapshotDepth {
		c.cfg.Metrics.Superseded.Inc()
		now := time.Now()
		if r.stuckSince.IsZero() {
			r.stuckSince = now
		} else if now.Sub(r.stuckSince) >= c.cfg.StallTimeout {
			c.cfg.Metrics.SlowCloses.Inc()
			c.closeLocked(wire.ClosePolicy, "client too slow")
			putFrameBuf(bp)
			return
		}
		putFrameBuf(r.buf[r.head])
		r.buf[r.head] = nil
		r.head = (r.head + 1) % snapshotDepth
		r.n--
	}
	r.buf[(r.head+r.n)%snapshotDepth] = bp
	r.n++
	c.startWriter()
}

// writeNow writes a replaceable frame on the caller's goroutine without blocking. The caller
// has set writerDirect, so no other write runs and the descriptor stays open; whatever is
// left to send afterwards (the frame's tail, frames queued meanwhile, the close frame) goes to
// the writer goroutine.
func (c *Conn) writeNow(bp *[]byte) {
	out := Framed(*bp)
	n, werr := c.raw.writeOnce(out)
	c.countOut(out)
	c.mu.Lock()
	c.writer = writerRunning // the descriptor is free again; the switch below says who goes on
	if c.directDone != nil {
		close(c.directDone) // cleanup waits to close the descriptor
		c.directDone = nil
	}
	if werr == nil && n < len(out) {
		c.tail = append([]byte(nil), out[n:]...)
	}
	putFrameBuf(bp)
	switch {
	case werr != nil:
		c.broken()
	case c.tail != nil || c.state() != stateOpen || len(c.queue) > 0 || c.snaps != nil && c.snaps.n > 0:
		go c.writeLoop() // the writer goroutine takes over
		c.mu.Unlock()
	default:
		c.writer = writerIdle
		c.mu.Unlock()
	}
}

// Send queues a binary frame, its payload in b behind HeaderRoom bytes; c owns b from here on.
// Queued frames are never dropped: a peer whose queue holds SendQueue frames is too slow, and
// is closed 4008.
func (c *Conn) Send(b []byte) { c.sendFrame(framedAs(b, opBinary)) }

// SendText is Send for a text frame; b must hold UTF-8.
func (c *Conn) SendText(b []byte) { c.sendFrame(framedAs(b, opText)) }

// countOut counts a whole data frame written (or begun) in the metrics: one frame, and its
// payload's bytes without the header.
func (c *Conn) countOut(frame []byte) {
	header := 2
	switch frame[1] & 0x7f {
	case 126:
		header = 4
	case 127:
		header = 10
	}
	c.cfg.Metrics.FramesOut.Inc()
	c.cfg.Metrics.BytesOut.Add(float64(len(frame) - header))
}

// pingFrame is a WebSocket ping with no payload.
var pingFrame = []byte{0x80 | opPing, 0}

// sendFrame queues a whole frame, header and all.
func (c *Conn) sendFrame(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state() != stateOpen {
		return
	}
	if len(c.queue) >= c.cfg.SendQueue {
		c.cfg.Metrics.SlowCloses.Inc()
		c.closeLocked(wire.ClosePolicy, "client too slow")
		return
	}
	c.queue = append(c.queue, frame)
	c.startWriter()
}

// startWriter starts the writer goroutine unless it runs or the socket is not attached yet.
// Called with mu held.
func (c *Conn) startWriter() {
	if c.writer == writerIdle && c.netConn != nil {
		c.writer = writerRunning
		go c.writeLoop()
	}
}

// write is the writer goroutine: it sends until nothing is left, then ends.
func (c *Conn) write() {
	for {
		c.mu.Lock()
		var frame []byte
		var snap *[]byte
		isTail := false
		switch {
		case c.tail != nil:
			// The rest of a frame the lobby began: it goes before anything, the close frame too.
			frame, c.tail, isTail = c.tail, nil, true
		case c.state() != stateOpen:
			c.finishWriting()
			return
		case len(c.queue) > 0:
			frame = c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			if len(c.queue) == 0 {
				c.queue = nil
			}
		case c.snaps != nil && c.snaps.n > 0:
			snap = c.snaps.take()
		default:
			c.writer = writerIdle
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		out := frame
		if snap != nil {
			out = Framed(*snap)
		}
		if snap != nil || !isTail && out[0]&0x0f <= opBinary {
			c.countOut(out) // a data frame; a tail was counted when it was begun
		}
		c.moveWriteDeadline()
		_, err := c.netConn.Write(out)
		if snap != nil {
			putFrameBuf(snap)
		}
		if err != nil {
			c.mu.Lock()
			c.broken()
			return
		}
	}
}

// broken drops a connection whose write failed or timed out: it may have sent part of a frame,
// so the stream is unusable and no close frame can follow. Called with mu held, by the one
// writing; it returns with mu released.
func (c *Conn) broken() {
	c.move(evWriteFail)
	c.closeCode, c.closeOwed = 0, false
	c.finishWriting()
	if c.poll != nil {
		// Nobody waits in a read to be woken by a close: the poller ends the socket.
		c.stopReading()
		return
	}
	c.netConn.Close()
}

// moveWriteDeadline gives the next write WriteWait, moving the deadline only when a tenth of it
// has passed since it was last set, so that a socket the writer goroutine writes every tick
// (behind TLS) costs no timer update per frame. Only the writer calls it, and one writer runs
// at a time (writer, under mu).
func (c *Conn) moveWriteDeadline() {
	now := time.Now()
	wait := c.cfg.WriteWait
	if c.writeUntil.Sub(now) > wait-wait/10 {
		return
	}
	c.writeUntil = now.Add(wait)
	_ = c.netConn.SetWriteDeadline(c.writeUntil)
}

// finishWriting sends the close frame, if one is due, and ends the writer. Called with mu held;
// it returns with mu released.
func (c *Conn) finishWriting() {
	code, text, send := c.closeCode, c.closeText, c.closeOwed
	c.closeOwed = false
	if r := c.snaps; r != nil {
		for r.n > 0 {
			putFrameBuf(r.take())
		}
	}
	c.queue, c.snaps, c.tail = nil, nil, nil
	c.mu.Unlock()
	if send {
		c.writeUntil = time.Now().Add(c.cfg.WriteWait)
		_ = c.netConn.SetWriteDeadline(c.writeUntil)
		_, _ = c.netConn.Write(appendControl(nil, opClose, closePayload(code, text)))
	}
	c.mu.Lock()
	c.writer = writerIdle
	if c.writerDone != nil {
		close(c.writerDone)
		c.writerDone = nil
	}
	c.mu.Unlock()
}
