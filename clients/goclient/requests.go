package goclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server/wire"
)

// errNoSocket is ErrConnectionLost before anything was sent: a request may wait and retry.
var errNoSocket = fmt.Errorf("%w: no socket", ErrConnectionLost)

// writeFrame writes one binary frame on the current socket.
func (c *Conn) writeFrame(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.writeLocked(b)
}

// writeLocked writes b with writeMu held. A failed write leaves the stream unusable, so it
// closes the socket; the reader then sees the loss and reconnects.
func (c *Conn) writeLocked(b []byte) error {
	if c.ws == nil {
		select {
		case <-c.done:
			return ErrClosed
		default:
			return errNoSocket
		}
	}
	return c.writeFrameLocked(opBinary, b)
}

// writeCloseLocked writes a close frame with code, waiting at most a second: the socket is
// ending, and Close waits on it. Called with writeMu held and a socket in use.
func (c *Conn) writeCloseLocked(code int) error {
	now := time.Now()
	_ = c.ws.NetConn().SetWriteDeadline(now.Add(time.Second))
	c.writeArmed = now
	return c.writeFrameLocked(opClose, websocket.FormatCloseMessage(code, ""))
}

// WebSocket opcodes of the frames the client writes itself.
const (
	opBinary = 0x2
	opClose  = 0x8
	opPong   = 0xa
)

// writeFrameLocked frames and masks payload (RFC 6455 §5.2) and writes it to the socket's
// connection in one write, with writeMu held and a socket in use. Frames are written here
// rather than by gorilla's WriteMessage, which moves the connection's write deadline (a timer
// update) before every frame: for a bot sending an input every tick that was a tenth of its
// CPU. One write per frame keeps frames whole beside the close frames gorilla still writes.
func (c *Conn) writeFrameLocked(op byte, payload []byte) error {
	if c.closeSent {
		return fmt.Errorf("%w: the socket is closing", ErrConnectionLost)
	}
	c.closeSent = op == opClose
	nc := c.ws.NetConn()
	now := time.Now()
	// Moving the deadline costs a timer update; once a second (or a tenth of a shorter
	// timeout) is precise enough.
	if now.Sub(c.writeArmed) > min(time.Second, c.opts.WriteTimeout/10) {
		_ = nc.SetWriteDeadline(now.Add(c.opts.WriteTimeout))
		c.writeArmed = now
	}
	f := append(c.fbuf[:0], 0x80|op)
	switch n := len(payload); {
	case n <= 125:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	key := rand.Uint32()
	f = binary.BigEndian.AppendUint32(f, key)
	start := len(f)
	f = append(f, payload...)
	mask := [4]byte{byte(key >> 24), byte(key >> 16), byte(key >> 8), byte(key)}
	for i := range f[start:] {
		f[start+i] ^= mask[i&3]
	}
	c.fbuf = f
	if cap(f) > 64<<10 {
		c.fbuf = nil // a rare large request keeps no large buffer
	}
	if _, err := nc.Write(f); err != nil {
		nc.Close()
		return fmt.Errorf("%w: %v", ErrConnectionLost, err)
	}
	return nil
}

func (c *Conn) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// endErr is what a call returns once the Conn has ended.
func (c *Conn) endErr() error {
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}

// errorFrame turns an error frame into a *ServerError.
func errorFrame(env wire.Envelope) error {
	if env.T != wire.TypeError {
		return fmt.Errorf("tickwire: unexpected %q", env.T)
	}
	var e wire.Error
	_ = wire.DecodePayload(env.D, &e)
	return &ServerError{Code: e.Code, Message: e.Message, RetryAfter: time.Duration(e.RetryAfter) * time.Second, URL: e.URL, Join: e.Join}
}

// Request sends a frame of type t and waits for the frame that answers it, decoding its payload
// into out (when not nil). An error frame comes back as a *ServerError. While a Conn made by
// Connect is reconnecting, Request waits for the new socket (or ctx); a socket lost after the
// request was sent returns ErrConnectionLost, since the request may have taken effect.
func (c *Conn) Request(ctx context.Context, t string, payload, out any) error {
	for {
		// A context already done ends the request before anything is sent: select picks among
		// ready cases at random, so without this a live socket could win over it.
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
		up := c.up
		c.mu.Unlock()
		select {
		case <-up:
		case <-c.done:
			return c.endErr()
		case <-ctx.Done():
			return ctx.Err()
		}
		id := c.nextID.Add(1)
		b, err := wire.Encode(t, id, payload)
		if err != nil {
			return err
		}
		ch := make(chan result, 1)
		c.mu.Lock()
		c.pending[id] = &call{ch: ch}
		c.mu.Unlock()
		if err := c.writeFrame(b); err != nil {
			c.forget(id)
			if err == errNoSocket {
				continue
			}
			return err
		}
		select {
		case r := <-ch:
			switch {
			case r.err != nil:
				return r.err
			case r.env.T == wire.TypeError:
				return errorFrame(r.env)
			case out != nil:
				return wire.DecodePayload(r.env.D, out)
			}
			return nil
		case <-c.done:
			return c.endErr()
		case <-ctx.Done():
			c.forget(id)
			return ctx.Err()
		}
	}
}

// Join joins a lobby as req says: by id (Lobby), by join code (Code) or by quick join (Quick).
// In a cluster, a lobby on another node answers moved: Join then moves the connection to that
// node and sends the join it was told to, once; a second moved comes back as the error. A Conn
// made by Connect remembers how it joined, for after a reconnect: a quick join is made again
// when its lobby is gone, a lobby joined by id or code is reported gone (ErrLobbyGone).
func (c *Conn) Join(ctx context.Context, req wire.Join) (wire.Joined, error) {
	j, err := c.join(ctx, req)
	if err == nil {
		how := wire.Join{Lobby: j.Lobby.ID, Spectate: req.Spectate}
		if req.Quick {
			how = wire.Join{Quick: true, Game: req.Game}
		}
		c.mu.Lock()
		c.how, c.howLobby = how, j.Lobby.ID
		c.mu.Unlock()
	}
	return j, err
}

// join is Join without remembering how.
func (c *Conn) join(ctx context.Context, req wire.Join) (wire.Joined, error) {
	var j wire.Joined
	err := c.Request(ctx, wire.TypeJoin, req, &j)
	var se *ServerError
	if !errors.As(err, &se) || se.Code != wire.CodeMoved || se.URL == "" {
		return j, err
	}
	if err := c.moveTo(ctx, se.URL); err != nil {
		return j, err
	}
	if se.Join != nil {
		req = *se.Join
	}
	j = wire.Joined{}
	err = c.Request(ctx, wire.TypeJoin, req, &j)
	return j, err
}

// QuickJoin seats the connection in a public lobby of game (the server's default game when
// empty), the fullest with room, or in a new one.
func (c *Conn) QuickJoin(ctx context.Context, game string) (wire.Joined, error) {
	return c.Join(ctx, wire.Join{Quick: true, Game: game})
}

// Create creates a lobby and joins it as its host: of req.Game with req.Options, both
// optional (Client.Games lists what a server offers).
func (c *Conn) Create(ctx context.Context, req wire.Create) (wire.Joined, error) {
	var j wire.Joined
	err := c.Request(ctx, wire.TypeCreate, req, &j)
	if err == nil {
		c.mu.Lock()
		c.how, c.howLobby = wire.Join{Lobby: j.Lobby.ID}, j.Lobby.ID
		c.mu.Unlock()
	}
	return j, err
}

// Leave gives up the connection's seat in its lobby.
func (c *Conn) Leave(ctx context.Context) error {
	return c.Request(ctx, wire.TypeLeave, struct{}{}, nil)
}

// Start starts a round in the lobby the connection hosts.
func (c *Conn) Start(ctx context.Context) error {
	return c.Request(ctx, wire.TypeStart, struct{}{}, nil)
}

// Kick removes a player from the lobby the connection hosts.
func (c *Conn) Kick(ctx context.Context, player uint32) error {
	return c.Request(ctx, wire.TypeKick, wire.Kick{Player: player}, nil)
}

// Ping measures the round trip to the server and returns it with the server's clock.
func (c *Conn) Ping(ctx context.Context) (rtt time.Duration, server time.Time, err error) {
	start := time.Now()
	var p wire.Pong
	if err := c.Request(ctx, wire.TypePing, wire.Ping{C: start.UnixMilli()}, &p); err != nil {
		return 0, time.Time{}, err
	}
	return time.Since(start), time.UnixMilli(p.S), nil
}

// Reauth hands the server a fresh access token for this socket and returns the connection's new
// expiry. A Conn made by Connect does this itself on reauth_required.
func (c *Conn) Reauth(ctx context.Context, accessToken string) (time.Time, error) {
	var ok wire.ReauthOK
	if err := c.Request(ctx, wire.TypeReauth, wire.Reauth{Token: accessToken}, &ok); err != nil {
		return time.Time{}, err
	}
	return time.Unix(ok.Exp, 0), nil
}

// Send sends one frame of type t that expects no reply. Any answer arrives on Other.
func (c *Conn) Send(t string, payload any) error {
	b, err := wire.Encode(t, 0, payload)
	if err != nil {
		return err
	}
	return c.writeFrame(b)
}

// SendInput sends one input message: seq, which comes back as a snapshot's Ack once the server
// has applied the input, and the game's fields, n msgpack map entries already encoded (each
// game's client package encodes its own: clients/goclient/arena for the arena). It allocates
// nothing, blocks at most Options.WriteTimeout, and returns ErrConnectionLost while a Conn made
// by Connect is reconnecting: an input is worth nothing late.
func (c *Conn) SendInput(seq uint32, n int, fields []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	b := append(c.wbuf[:0], 0x82, 0xa1, 't', 0xa5, 'i', 'n', 'p', 'u', 't', 0xa1, 'd')
	b = wire.AppendMapHeader(b, n+1)
	b = wire.AppendString(b, "seq")
	b = wire.AppendUint(b, uint64(seq))
	b = append(b, fields...)
	c.wbuf = b
	return c.writeLocked(b)
}
