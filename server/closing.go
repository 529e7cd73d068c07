package server

import (
	"errors"
	"time"

	"github.com/tickwire/tickwire/auth"
)

// closeWait is how long a closing socket waits for the client's close frame, and how long a
// close frame may wait behind a write that is stuck.
const closeWait = 2 * time.Second

// closeWith starts the closing handshake: the writer sends a close frame with code and reason
// after the frame it is writing, if any, and the reader discards what comes until the client's
// close frame or closeWait passes. It never blocks, so lobbies, timers and revocations may call
// it; a second call does nothing.
func (c *conn) closeWith(code int, reason string) {
	c.mu.Lock()
	c.closeLocked(code, reason)
	c.mu.Unlock()
}

// closeLocked is closeWith with mu held. It reports whether it started the close.
func (c *conn) closeLocked(code int, reason string) bool {
	if c.closing {
		return false
	}
	c.closing, c.closeCode, c.closeText = true, code, reason
	c.closingFlag.Store(true)
	c.stopTimers()
	c.srv.metrics.closed(code, reason)
	if c.netConn != nil {
		// Bounds the handshake: the reader ends when this passes, and cleanup then drops the
		// connection even when the close frame is stuck behind a blocked write.
		_ = c.netConn.SetReadDeadline(time.Now().Add(closeWait))
		c.startWriter()
	}
	return true
}

func (c *conn) stopTimers() {
	if c.timer != nil {
		c.timer.Stop()
	}
}

// clientClosed is the client starting the closing handshake with code: the writer answers
// with the same code after the frame it is writing.
func (c *conn) clientClosed(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing {
		c.closing, c.closeCode = true, code
		c.closingFlag.Store(true)
		if code == CloseNoStatus {
			c.closeCode = CloseNormal
		}
		c.stopTimers()
		c.startWriter()
	}
}

// cleanup ends the connection once its reader has stopped: it gives up the seat (kept for the
// lobby's grace period), waits for a close frame still being written, then closes the network
// connection and forgets the socket.
func (c *conn) cleanup(readErr error) {
	if c.lobby != nil {
		c.lobby.Disconnect(c)
		c.lobby = nil
	}
	c.mu.Lock()
	if !c.closing {
		c.closing, c.closeCode = true, 0 // the connection broke: nothing to say on it
		c.closingFlag.Store(true)
		c.stopTimers()
	}
	var done chan struct{}
	if c.writing && errors.Is(readErr, errStopped) {
		// The client closed, or broke the protocol: let the writer finish the close frame.
		c.writerDone = make(chan struct{})
		done = c.writerDone
	}
	var direct chan struct{}
	if c.direct {
		// A lobby is writing a snapshot on the descriptor: it takes no time and does not block.
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
	c.netConn.Close()
	c.srv.conns.remove(c)
	c.srv.log.Debug("socket closed", "account", c.accountID, "addr", c.addr, "err", readErr)
}

// onSessionEnded closes the live sockets of an ended session, or of a banned account, 4003.
// auth calls it after the end is committed; it does not block.
func (s *Server) onSessionEnded(e auth.Ended) {
	var conns []*conn
	if e.SessionID != "" {
		conns = s.conns.list(s.conns.bySession, e.SessionID)
	} else {
		conns = s.conns.list(s.conns.byAccount, e.AccountID)
	}
	for _, c := range conns {
		c.mu.Lock()
		if c.closeLocked(CloseRevoked, "session revoked: "+e.Reason) {
			s.metrics.kicks.WithLabelValues(e.Reason).Inc()
		}
		c.mu.Unlock()
	}
}
