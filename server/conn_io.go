package server

import (
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/server/ws"
)

// What a session hears from its transport (ws.Handler) and hands to it (transport): messages in,
// frames out, and the end.

// ended is the transport's reading over, the connection dropped: the socket is forgotten.
func (c *conn) ended(err error) {
	c.srv.conns.remove(c)
	c.srv.log.Debug("socket closed", "account", c.accountID, "addr", c.addr, "err", err)
}

// Message implements ws.Handler: one whole binary message (the transport closes text ones 1003).
func (c *conn) Message(p []byte, text bool) {
	if !c.Quick(p, text) {
		c.request(p)
	}
}

// Quick implements ws.QuickHandler: a plain input, the hot path that every player takes once a
// tick, is handed to the lobby without waiting (a seat's queue under its lock), on whichever
// goroutine reads the socket; any other message is left to Message.
func (c *conn) Quick(p []byte, _ bool) bool {
	id, seq, d, ok := wire.DecodeInputFrame(p)
	if !ok {
		return false
	}
	if !c.input(game.Input{ID: id, Seq: seq, Msg: d}) {
		c.replyError(id, game.ErrNotInLobby)
	}
	return true
}

// request acts on any message but a plain input. It is kept out of Message so that the input
// path, which runs on every socket every tick, uses as little of the goroutine's stack as it
// can: at a thousand sockets on one core, every cache line an input touches counts.
//
//go:noinline
func (c *conn) request(p []byte) {
	env, err := wire.Decode(p, wire.Limits{MaxBytes: c.srv.cfg.MaxMessageBytes})
	if err != nil {
		c.closeWith(wire.ClosePolicy, "malformed frame")
		return
	}
	c.handle(env)
}

// Closed implements ws.Handler: reading is over, so the seat is given up (kept for the lobby's
// grace period).
func (c *conn) Closed(int) {
	if c.lobby != nil {
		c.lobby.Disconnect(c)
		c.lobby = nil
	}
}

// closeWith starts the closing handshake with code and reason; it never blocks.
func (c *conn) closeWith(code int, reason string) { c.t.Close(code, reason) }

// Snapshot implements game.Member: the lobby's state, encoded once per tick, behind this
// member's tick and ack, goes to the transport as a replaceable frame.
func (c *conn) Snapshot(s game.Snapshot) {
	bp := ws.Buffer()
	*bp = appendSnapshot(*bp, s)
	c.t.SendLatest(bp)
}

// appendSnapshot appends s's frame to b.
func appendSnapshot(b []byte, s game.Snapshot) []byte {
	return wire.AppendSnapshot(b, s.Tick, s.Ack, s.State, s.Fields, nil, 0)
}

// Event implements game.Member.
func (c *conn) Event(e game.Event) {
	c.send(wire.TypeEvent, 0, eventFrame(e))
}

// send queues a frame. Frames other than snapshots are never dropped: a client whose queue is
// full is too slow, and is closed 4008.
func (c *conn) send(t string, id uint64, payload any) {
	frame, err := wire.AppendFrame(make([]byte, ws.HeaderRoom, 128), t, id, payload)
	if err != nil {
		c.srv.log.Error("encode frame", "type", t, "err", err)
		return
	}
	c.t.Send(frame)
}

// wsConfig is the transport's share of the configuration, counted in the server's metrics.
func (s *Server) wsConfig() *ws.Config {
	m := s.metrics
	return &ws.Config{
		MaxMessageBytes: s.cfg.MaxMessageBytes,
		MsgRate:         s.cfg.MsgRate,
		MsgBurst:        s.cfg.MsgBurst,
		SendQueue:       s.cfg.SendQueue,
		WriteWait:       s.cfg.WriteWait,
		PongWait:        s.cfg.PongWait,
		StallTimeout:    s.cfg.StallTimeout,
		BinaryOnly:      true,
		Now:             s.now,
		Metrics: ws.Metrics{FramesIn: m.framesIn, BytesIn: m.bytesIn, FramesOut: m.framesOut, BytesOut: m.bytesOut,
			Superseded: m.snapshotsSkipped, SlowCloses: m.slowCloses, Closed: m.closed},
	}
}
