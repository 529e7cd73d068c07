package server

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
)

// The send side of a connection. Lobbies and timers hand frames over without blocking: control
// frames go to a bounded queue, snapshots to a small ring where the newest replaces the oldest
// not yet written (latest-wins). A writer goroutine runs only while there is something to send, so
// an idle socket holds no goroutine for writing; it writes control frames first, then the
// snapshot, and last, when the connection closes, the close frame.
//
// Data frames are framed here and written to the network connection in one Write each, rather
// than through gorilla's writer: gorilla copies every message into a pooled buffer and boxes it
// into an interface when it returns it to the pool, an allocation per frame on the hottest path
// of the server. A server's binary frame is a two-to-ten-byte header (RFC 6455 §5.2, unmasked),
// so each frame is encoded behind frameHeaderRoom spare bytes and the header is written into
// them. Gorilla still writes the control frames (ping, pong, close), each in one Write; writes on
// one connection never interleave, and close frames come from the writer, so no data follows one.

// frameHeaderRoom is the room kept in front of an encoded frame for its WebSocket header.
const frameHeaderRoom = 10

// putHeader writes the header of a final binary frame of n payload bytes at the end of
// room, which is frameHeaderRoom bytes, and returns where the frame starts.
func putHeader(room []byte, n int) int {
	switch {
	case n <= 125:
		room[8], room[9] = 0x82, byte(n)
		return 8
	case n <= 0xffff:
		room[6], room[7], room[8], room[9] = 0x82, 126, byte(n>>8), byte(n)
		return 6
	default:
		room[0], room[1] = 0x82, 127
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

// snapRing holds the snapshots a connection has not written yet, oldest at head. A socket gets
// one with its first snapshot, so one that is in no lobby pays nothing for it.
type snapRing struct {
	buf        [snapshotDepth]game.Snapshot
	head, n    int
	stuckSince time.Time // when a snapshot was first superseded unsent; zero while the writer keeps up
}

// Snapshot implements game.Member: the snapshot joins those not yet written, replacing the
// oldest when snapshotDepth wait. A client that has not taken a snapshot for StallTimeout, with
// snapshots superseded meanwhile, is too slow and is closed 4008; until then it costs its lobby
// nothing but this call.
func (c *conn) Snapshot(s game.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
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
		r.buf[r.head] = game.Snapshot{}
		r.head = (r.head + 1) % snapshotDepth
		r.n--
	}
	r.buf[(r.head+r.n)%snapshotDepth] = s
	r.n++
	c.startWriter()
}

// take removes the oldest snapshot. Called with mu held and r.n > 0.
func (r *snapRing) take() game.Snapshot {
	s := r.buf[r.head]
	r.buf[r.head] = game.Snapshot{}
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
	c.sendFrame(frame)
}

// sendFrame queues an encoded frame that starts after frameHeaderRoom bytes.
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
	if !c.writing && c.ws != nil {
		c.writing = true
		go c.writeLoop()
	}
}

// write is the writer goroutine: it sends until nothing is left, then ends.
func (c *conn) write() {
	for {
		c.mu.Lock()
		if c.closing {
			c.finishWriting()
			return
		}
		var frame []byte
		var snap game.Snapshot
		isSnap := false
		switch {
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
		var bp *[]byte
		if isSnap {
			bp = frameBufs.Get().(*[]byte)
			frame = appendSnapshot((*bp)[:frameHeaderRoom], snap)
		}
		start := putHeader(frame[:frameHeaderRoom], len(frame)-frameHeaderRoom)
		c.moveWriteDeadline()
		_, err := c.netConn.Write(frame[start:])
		c.srv.metrics.framesOut.Inc()
		c.srv.metrics.bytesOut.Add(float64(len(frame) - frameHeaderRoom))
		if bp != nil {
			putFrameBuf(bp, frame)
		}
		if err != nil {
			// A write that failed or timed out may have sent part of a frame: the stream is
			// unusable, so the connection is dropped without a close frame.
			c.mu.Lock()
			c.closing, c.closeCode = true, 0
			c.stopTimers()
			c.finishWriting()
			c.netConn.Close()
			return
		}
	}
}

// moveWriteDeadline gives the next write WriteWait, moving the deadline only when a tenth of it
// has passed since it was last set, so that a socket written every tick costs no timer update
// per frame. Only the writer calls it, and one writer runs at a time (writing, under mu).
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
	c.queue, c.snaps = nil, nil
	c.mu.Unlock()
	if send {
		msg := websocket.FormatCloseMessage(code, text)
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.cfg.WriteWait))
	}
	c.mu.Lock()
	c.writing = false
	if c.writerDone != nil {
		close(c.writerDone)
		c.writerDone = nil
	}
	c.mu.Unlock()
}
