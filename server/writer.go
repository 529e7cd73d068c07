package server

import (
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
)

// The send side of a connection. Lobbies and timers hand frames over without blocking: control
// frames go to a bounded queue, snapshots to a small ring where the newest replaces the oldest
// not yet written (latest-wins). A writer goroutine runs only while there is something to send, so
// an idle socket holds no goroutine for writing; it writes control frames first, then the
// snapshot, and last, when the connection closes, the close frame.
//
// The common case takes a shorter way: a snapshot for a plain TCP socket with nothing waiting
// is written by the lobby's goroutine itself, in one non-blocking write on the descriptor
// (rawSocket), so a tick costs no goroutine per player. What the kernel does not take at once (its
// send buffer is full) goes to the writer goroutine, which finishes the frame under the write
// deadline before anything else; the lobby never waits on a client.
//
// Frames are framed here and written to the network connection in one write each, rather than
// through gorilla's writer: gorilla copies every message into a pooled buffer and boxes it into
// an interface when it returns it to the pool, an allocation per frame on the hottest path of the
// server. A server's frame is a two-to-ten-byte header (RFC 6455 §5.2, unmasked), so each frame
// is encoded behind frameHeaderRoom spare bytes and the header is written into them. Writes on
// one connection never interleave, and the close frame comes last from the writer.

// frameHeaderRoom is the room kept in front of an encoded frame for its WebSocket header.
const frameHeaderRoom = 10

// putHeader writes the header of a final server frame of opcode op and n payload bytes at
// the end of room, which is frameHeaderRoom bytes, and returns where the frame starts.
func putHeader(room []byte, n int, op byte) int {
	switch {
	case n <= 125:
		room[8], room[9] = 0x80|op, byte(n)
		return 8
	case n <= 0xffff:
		room[6], room[7], room[8], room[9] = 0x80|op, 126, byte(n>>8), byte(n)
		return 6
	default:
		room[0], room[1] = 0x80|op, 127
		for i := range 8 {
			room[2+i] = byte(uint64(n) >> (56 - 8*i))
		}
		return 0
	}
}

// frameBufs are buffers for snapshot frames (written) and for frames read.
var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func putFrameBuf(bp *[]byte, b []byte) {
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		frameBufs.Put(bp)
	}
}

// snapshotDepth is how many snapshots may wait for the writer before the oldest is dropped for
// the newest (latest-wins). More than one rides out a writer that the scheduler runs a tick or
// three late on a busy machine; it adds no latency for a client that cannot keep up, whose
// writer is blocked behind a full kernel send buffer anyway.
const snapshotDepth = 4

// snapRing holds the snapshots a connection has not written yet, oldest at head, each already
// framed in a pooled buffer (the lobby lends a snapshot's state only for the call). A socket
// gets one with its first snapshot, so one that is in no lobby pays nothing for it.
type snapRing struct {
	buf        [snapshotDepth]snapFrame
	head, n    int
	stuckSince time.Time // when a snapshot was first superseded unsent; zero while the writer keeps up
}

// Snapshot implements game.Member: the snapshot joins those not yet written, replacing the
// oldest when snapshotDepth wait. A client that has not taken a snapshot for StallTimeout, with
// snapshots superseded meanwhile, is too slow and is closed 4008; until then it costs its lobby
// nothing but this call.
func (c *conn) Snapshot(s game.Snapshot) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if c.raw.conn != nil && !c.writing && len(c.queue) == 0 && (c.snaps == nil || c.snaps.n == 0) {
		c.writing, c.direct = true, true
		c.mu.Unlock()
		c.writeNow(s)
		return
	}
	defer c.mu.Unlock()
	r := c.snaps
	if r == nil {
		r = &snapRing{}
		c.snaps = r
	}
	if r.n == snapshotDepth {
		c.srv.metrics.snapshotsSkipped.Inc()
		now := time.Now()
		if r.stuckSince.IsZero() {
			r.stuckSince = now
		} else if now.Sub(r.stuckSince) >= c.srv.cfg.StallTimeout {
			c.srv.metrics.slowCloses.Inc()
			c.closeLocked(ClosePolicy, "client too slow")
			return
		}
		r.buf[r.head].release()
		r.head = (r.head + 1) % snapshotDepth
		r.n--
	}
	bp := frameBufs.Get().(*[]byte)
	r.buf[(r.head+r.n)%snapshotDepth] = snapFrame{bp, appendSnapshot((*bp)[:frameHeaderRoom], s)}
	r.n++
	c.startWriter()
}

// snapFrame is a snapshot's frame, its payload behind frameHeaderRoom bytes, in a buffer from
// frameBufs.
type snapFrame struct {
	bp    *[]byte
	frame []byte
}

// release gives the buffer back to the pool.
func (f *snapFrame) release() {
	if f.bp != nil {
		putFrameBuf(f.bp, f.frame)
	}
	*f = snapFrame{}
}

// writeNow writes a snapshot on the caller's goroutine without blocking. The caller has set
// writing and direct, so no other write runs and the descriptor stays open; whatever is left to
// send afterwards (the frame's tail, frames queued meanwhile, the close frame) goes to the writer
// goroutine.
func (c *conn) writeNow(s game.Snapshot) {
	bp := frameBufs.Get().(*[]byte)
	frame := appendSnapshot((*bp)[:frameHeaderRoom], s)
	out := framed(frame)
	n, werr := c.raw.writeOnce(out)
	c.countOut(out)
	c.mu.Lock()
	c.direct = false
	if c.directDone != nil {
		close(c.directDone) // cleanup waits to close the descriptor
		c.directDone = nil
	}
	if werr == nil && n < len(out) {
		c.tail = append([]byte(nil), out[n:]...)
	}
	putFrameBuf(bp, frame)
	switch {
	case werr != nil:
		c.broken()
	case c.tail != nil || c.closing || len(c.queue) > 0 || c.snaps != nil && c.snaps.n > 0:
		go c.writeLoop() // writing stays set: the writer takes over
		c.mu.Unlock()
	default:
		c.writing = false
		c.mu.Unlock()
	}
}

// take removes the oldest snapshot; the caller releases it. Called with mu held and r.n > 0.
func (r *snapRing) take() snapFrame {
	s := r.buf[r.head]
	r.buf[r.head] = snapFrame{}
	r.head = (r.head + 1) % snapshotDepth
	r.n--
	r.stuckSince = time.Time{}
	return s
}

// appendSnapshot appends s's frame to b: the lobby's state, encoded once per tick, behind this
// member's tick and ack.
func appendSnapshot(b []byte, s game.Snapshot) []byte {
	return wire.AppendSnapshot(b, s.Tick, s.Ack, s.State, s.Fields, nil, 0)
}

// Event implements game.Member.
func (c *conn) Event(e game.Event) {
	c.send(wire.TypeEvent, 0, eventFrame(e))
}

// send queues a control frame. Control frames are never dropped: a client whose queue is full
// is too slow, and is closed 4008.
func (c *conn) send(t string, id uint64, payload any) {
	frame, err := wire.AppendFrame(make([]byte, frameHeaderRoom, 128), t, id, payload)
	if err != nil {
		c.srv.log.Error("encode frame", "type", t, "err", err)
		return
	}
	c.sendFrame(framed(frame))
}

// framed writes the header of a binary frame into the room in front of frame's payload and
// returns the whole frame.
func framed(frame []byte) []byte {
	return frame[putHeader(frame[:frameHeaderRoom], len(frame)-frameHeaderRoom, opBinary):]
}

// countOut counts a whole data frame written (or begun) in the metrics: one frame, and its
// payload's bytes without the header.
func (c *conn) countOut(frame []byte) {
	header := 2
	switch frame[1] & 0x7f {
	case 126:
		header = 4
	case 127:
		header = 10
	}
	c.srv.metrics.framesOut.Inc()
	c.srv.metrics.bytesOut.Add(float64(len(frame) - header))
}

// pingFrame is a WebSocket ping with no payload.
var pingFrame = []byte{0x80 | opPing, 0}

// sendFrame queues a whole frame, header and all.
func (c *conn) sendFrame(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	if len(c.queue) >= c.srv.cfg.SendQueue {
		c.srv.metrics.slowCloses.Inc()
		c.closeLocked(ClosePolicy, "client too slow")
		return
	}
	c.queue = append(c.queue, frame)
	c.startWriter()
}

// startWriter starts the writer goroutine unless it runs or the socket is not upgraded yet.
// Called with mu held.
func (c *conn) startWriter() {
	if !c.writing && c.netConn != nil {
		c.writing = true
		go c.writeLoop()
	}
}

// write is the writer goroutine: it sends until nothing is left, then ends.
func (c *conn) write() {
	for {
		c.mu.Lock()
		var frame []byte
		var snap snapFrame
		isSnap, isTail := false, false
		switch {
		case c.tail != nil:
			// The rest of a frame the lobby began: it goes before anything, the close frame too.
			frame, c.tail, isTail = c.tail, nil, true
		case c.closing:
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
			snap, isSnap = c.snaps.take(), true
		default:
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		out := frame
		if isSnap {
			out = framed(snap.frame)
		}
		if isSnap || !isTail && out[0]&0x0f == opBinary {
			c.countOut(out) // a data frame; a tail was counted when it was begun
		}
		c.moveWriteDeadline()
		_, err := c.netConn.Write(out)
		snap.release()
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
func (c *conn) broken() {
	c.closing, c.closeCode = true, 0
	c.closingFlag.Store(true)
	c.stopTimers()
	c.finishWriting()
	c.netConn.Close()
}

// moveWriteDeadline gives the next write WriteWait, moving the deadline only when a tenth of it
// has passed since it was last set, so that a socket the writer goroutine writes every tick
// (behind TLS) costs no timer update per frame. Only the writer calls it, and one writer runs
// at a time (writing, under mu).
func (c *conn) moveWriteDeadline() {
	now := time.Now()
	wait := c.srv.cfg.WriteWait
	if c.writeUntil.Sub(now) > wait-wait/10 {
		return
	}
	c.writeUntil = now.Add(wait)
	_ = c.netConn.SetWriteDeadline(c.writeUntil)
}

// finishWriting sends the close frame, if one is due, and ends the writer. Called with mu held;
// it returns with mu released.
func (c *conn) finishWriting() {
	code, text := c.closeCode, c.closeText
	send := code != 0 && !c.closeSent
	c.closeSent = c.closeSent || send
	if r := c.snaps; r != nil {
		for r.n > 0 {
			f := r.take()
			f.release()
		}
	}
	c.queue, c.snaps, c.tail = nil, nil, nil
	c.mu.Unlock()
	if send {
		c.writeUntil = time.Now().Add(c.srv.cfg.WriteWait)
		_ = c.netConn.SetWriteDeadline(c.writeUntil)
		_, _ = c.netConn.Write(appendControl(nil, opClose, closePayload(code, text)))
	}
	c.mu.Lock()
	c.writing = false
	if c.writerDone != nil {
		close(c.writerDone)
		c.writerDone = nil
	}
	c.mu.Unlock()
}
