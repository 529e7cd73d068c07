package goclient

import (
	"io"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server/wire"
)

// The reader goroutine: it reads the socket, routes each frame, and between sockets runs the
// reconnects.

// run is the reader goroutine, for the Conn's whole life.
func (c *Conn) run(ws *websocket.Conn) {
	var err error
	defer func() { c.finish(err) }()
	for {
		err = c.read(ws)
		c.drop(ws)
		if c.isClosing() {
			err = nil
			return
		}
		select {
		case next := <-c.handoff: // moved to another node
			ws = next
			c.install(ws)
			continue
		default:
		}
		if c.api == nil || c.opts.NoReconnect || !retryable(err) {
			return
		}
		c.status(Status{Kind: StatusDisconnected, Err: err})
		var attempt int
		var handedOff bool
		ws, attempt, handedOff, err = c.reconnect(err)
		if err != nil {
			if c.isClosing() {
				err = nil
			}
			return
		}
		c.install(ws)
		c.status(Status{Kind: StatusReconnected, Attempt: attempt})
		if !handedOff {
			c.startPlacing()
		}
	}
}

// finish ends the Conn: it records why, stops its goroutines and closes Done.
func (c *Conn) finish(err error) {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	select {
	case ws := <-c.handoff: // a move that came too late
		ws.Close()
	default:
	}
	c.err = err
	close(c.done)
	// Only this goroutine sends on them, so they close here, after Done: a caller that ranges
	// over them finds Err set when the loop ends.
	close(c.snapshots)
	close(c.events)
	close(c.other)
}

func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// read reads frames from ws until it fails, and returns why.
func (c *Conn) read(ws *websocket.Conn) error {
	for {
		now := time.Now()
		// Moving the deadline costs a timer update; once a second is precise enough.
		if now.Sub(c.readArmed) > time.Second {
			_ = ws.SetReadDeadline(now.Add(c.opts.ReadTimeout))
			c.readArmed = now
		}
		mt, r, err := ws.NextReader()
		if err != nil {
			return closeErr(err)
		}
		if mt != websocket.BinaryMessage {
			_, _ = io.Copy(io.Discard, r)
			continue
		}
		c.rbuf, err = readAll(c.rbuf[:0], r)
		if err != nil {
			return closeErr(err)
		}
		c.dispatch(c.rbuf, time.Now())
	}
}

// readAll reads r to its end into b, growing it as needed, so that frames reuse one buffer.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// dispatch routes one frame. Snapshots take a path that allocates nothing when OnSnapshot is
// set; other frames are rare, validated and decoded in full.
func (c *Conn) dispatch(frame []byte, now time.Time) {
	t, id, d, ok := scanEnvelope(frame)
	if !ok {
		return
	}
	if string(t) == wire.TypeSnapshot {
		// The scanner checks every length it reads; only what the msgpack library decodes,
		// which trusts declared lengths, is validated first (RawSnapshot.Decode does).
		c.snapshot(d, now)
		return
	}
	if wire.Validate(frame, wire.Limits{}) != nil {
		return
	}
	env := wire.Envelope{T: string(t), ID: id, D: append([]byte(nil), d...)}
	switch env.T {
	case wire.TypeJoined:
		var j wire.Joined
		if wire.DecodePayload(env.D, &j) == nil {
			c.setLobby(j.Lobby.ID, j.Player)
		}
	case wire.TypeLeft:
		c.setLobby("", 0)
	case wire.TypeEvent:
		var e wire.Event
		if wire.DecodePayload(env.D, &e) != nil {
			return
		}
		if e.Kind == wire.EventKicked || e.Kind == wire.EventLobbyClosed {
			c.setLobby("", 0)
		}
		c.event(e)
		return
	case wire.TypeReauthRequired:
		if c.api != nil {
			var r wire.ReauthRequired
			_ = wire.DecodePayload(env.D, &r)
			c.startReauth(time.Unix(r.Exp, 0))
			return
		}
	}
	if id != 0 && c.answer(env) {
		return
	}
	select {
	case c.other <- env:
	default:
	}
}

func (c *Conn) snapshot(d []byte, now time.Time) {
	tick, ack, ok := scanTickAck(d)
	if !ok {
		return
	}
	if c.opts.OnSnapshot != nil {
		c.raw = RawSnapshot{Tick: tick, Ack: ack, Received: now, D: d}
		c.opts.OnSnapshot(&c.raw)
		c.raw.D = nil
		return
	}
	r := RawSnapshot{Tick: tick, Ack: ack, Received: now, D: d}
	s, err := r.Decode()
	if err != nil {
		return
	}
	// Latest wins: a reader that fell behind loses the oldest snapshot, never the newest.
	select {
	case c.snapshots <- s:
	default:
		select {
		case <-c.snapshots:
		default:
		}
		select {
		case c.snapshots <- s:
		default:
		}
	}
}

func (c *Conn) event(e wire.Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(e)
		return
	}
	select {
	case c.events <- e:
	default:
	}
}

func (c *Conn) answer(env wire.Envelope) bool {
	c.mu.Lock()
	p, ok := c.pending[env.ID]
	delete(c.pending, env.ID)
	c.mu.Unlock()
	switch {
	case !ok:
		return false
	case p.fn != nil:
		p.fn(env)
	default:
		p.ch <- result{env: env}
	}
	return true
}

func (c *Conn) setLobby(id string, player uint32) {
	c.mu.Lock()
	c.lobby, c.player = id, player
	c.mu.Unlock()
}
