package ws

import (
	"errors"
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// closeWait is how long a closing socket waits for the peer's close frame, and how long a
// close frame may wait behind a write that is stuck.
const closeWait = 2 * time.Second

// Close starts the closing handshake: the writer sends a close frame with code and reason
// after the frame it is writing, if any, and the reader discards what comes until the peer's
// close frame or closeWait passes. It never blocks, so lobbies, timers and revocations may call
// it; it reports whether it started the close, and a second call does nothing.
func (c *Conn) Close(code int, reason string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeLocked(code, reason)
}

// closeLocked is Close with mu held.
func (c *Conn) closeLocked(code int, reason string) bool {
	if !c.move(evClose) {
		return false
	}
	c.counted(code, reason)
	if c.netConn != nil {
		// Bounds the handshake: the reader ends when this passes, and cleanup then drops the
		// connection even when the close frame is stuck behind a blocked write.
		c.setReadDeadline(time.Now().Add(closeWait))
	}
	c.owe(code, reason)
	return true
}

// counted tells the metrics of a close this side starts.
func (c *Conn) counted(code int, reason string) {
	if f := c.cfg.Metrics.Closed; f != nil {
		f(code, reason)
	}
}

// owe makes a close frame of code and reason owed, and starts the writer to send it once it has
// written the frame it is writing, if any. Called with mu held.
func (c *Conn) owe(code int, reason string) {
	c.closeCode, c.closeText, c.closeOwed = code, reason, true
	c.startWriter()
}

func (c *Conn) stopTimers() {
	if c.timer != nil {
		c.timer.Stop()
	}
}

// peerClosed is the peer's close frame with code: the peer starting the closing handshake,
// which the writer answers with the same code after the frame it is writing, or answering ours.
func (c *Conn) peerClosed(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.move(evPeerClose) {
		if code == wire.CloseNoStatus {
			code = wire.CloseNormal
		}
		c.owe(code, "")
	}
}

// violation closes c for a frame that breaks the protocol: the peer gets the code for it, and
// nothing more is read.
func (c *Conn) violation(v *violation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.move(evViolation) {
		c.counted(v.code, v.reason)
		c.owe(v.code, v.reason)
	}
}

// cleanup ends the connection once its reader has stopped: it tells the handler, waits for a
// close frame still being written, then closes the network connection.
func (c *Conn) cleanup(readErr error) {
	c.mu.Lock()
	if !errors.Is(readErr, errStopped) {
		if c.state() == stateOpen {
			c.closeCode = 0 // the connection broke: nothing to say on it
		}
		c.move(evReadEnd)
	}
	code := c.closeCode
	c.mu.Unlock()
	// The session gives up its seat (kept for the lobby's grace period) before the wait below.
	c.h.Closed(code)
	c.mu.Lock()
	var done chan struct{}
	if c.writer != writerIdle && c.state() == stateFinishing {
		// The peer closed, or broke the protocol: let the writer finish the close frame.
		c.writerDone = make(chan struct{})
		done = c.writerDone
	}
	var direct chan struct{}
	if c.writer == writerDirect {
		// A lobby is writing a frame on the descriptor: it takes no time and does not block.
		c.directDone = make(chan struct{})
		direct = c.directDone
	}
	c.mu.Unlock()
	if done != nil {
		t := time.NewTimer(closeWait)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
	if direct != nil {
		<-direct
	}
	c.mu.Lock()
	c.move(evDrop)
	c.mu.Unlock()
	c.netConn.Close()
}
