package server

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server/wire"
)

// run is the socket's reader, for its whole life. It starts the writer for the welcome frame
// queued by the upgrade, then reads frames one at a time until the connection ends.
func (c *conn) run() {
	c.ws.SetPingHandler(c.pinged)
	c.ws.SetPongHandler(func(string) error { c.touch(); return nil })
	c.ws.SetCloseHandler(c.clientClosed)
	c.mu.Lock()
	if c.closing {
		// Closed (a shutdown, a revocation) while it was being upgraded.
		_ = c.ws.SetReadDeadline(time.Now().Add(closeWait))
	} else {
		c.readUntil = time.Now().Add(c.srv.cfg.PongWait)
		_ = c.ws.SetReadDeadline(c.readUntil)
		now := c.srv.now()
		c.pingAt = now.Add(c.srv.cfg.PongWait * 9 / 10)
		c.timer = time.AfterFunc(c.untilNext(now), c.onTimer)
	}
	c.startWriter()
	c.mu.Unlock()
	c.cleanup(c.readLoop())
}

// readLoop reads frames until the connection ends and returns why it ended.
func (c *conn) readLoop() error {
	limits := wire.Limits{MaxBytes: c.srv.cfg.MaxMessageBytes}
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			return err
		}
		if c.isClosing() {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return err
			}
			continue
		}
		c.touch()
		if mt != websocket.BinaryMessage {
			c.closeWith(CloseUnsupported, "binary frames only")
			continue
		}
		bp := frameBufs.Get().(*[]byte)
		buf, err := readFrame((*bp)[:0], r, c.srv.cfg.MaxMessageBytes)
		c.srv.metrics.framesIn.Inc()
		c.srv.metrics.bytesIn.Add(float64(len(buf)))
		switch {
		case errors.Is(err, errFrameTooLarge):
			c.closeWith(CloseTooLarge, "frame too large")
		case err != nil:
			putFrameBuf(bp, buf)
			return err
		case !c.limiter.Allow():
			c.closeWith(ClosePolicy, "message rate over the limit")
		default:
			if env, err := wire.Decode(buf, limits); err != nil {
				c.closeWith(ClosePolicy, "malformed frame")
			} else {
				c.handle(env)
			}
		}
		putFrameBuf(bp, buf)
	}
}

var errFrameTooLarge = errors.New("frame over the size limit")

// readFrame appends the message r holds to b. Past max bytes it stops keeping them and returns
// errFrameTooLarge; the rest of the message is discarded by the next NextReader, bounded in
// time by the closing handshake's read deadline.
func readFrame(b []byte, r io.Reader, max int) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			if len(b) > max {
				return b, errFrameTooLarge
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > max {
			return b, errFrameTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// touch moves the read deadline on: the client is alive. The deadline only moves when it is
// more than a tenth of PongWait old, so a client sending every tick costs no timer update per
// frame. Holding mu orders it with closeLocked, which shortens the deadline for the handshake.
func (c *conn) touch() {
	now := time.Now()
	wait := c.srv.cfg.PongWait
	if c.readUntil.Sub(now) > wait-wait/10 {
		return
	}
	c.mu.Lock()
	if !c.closing {
		c.readUntil = now.Add(wait)
		_ = c.ws.SetReadDeadline(c.readUntil)
	}
	c.mu.Unlock()
}

// pinged answers a client's ping. Pings count against the message rate like any frame, so a
// ping flood is closed 4008 rather than answered.
func (c *conn) pinged(data string) error {
	if c.isClosing() {
		return nil
	}
	c.touch()
	if !c.limiter.Allow() {
		c.closeWith(ClosePolicy, "message rate over the limit")
		return nil
	}
	err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.srv.cfg.WriteWait))
	var ne net.Error
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) && !(errors.As(err, &ne) && ne.Timeout()) {
		return err
	}
	return nil
}
