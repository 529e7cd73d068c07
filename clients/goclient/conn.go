package goclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// Player is one player in an arena snapshot.
type Player struct {
	//lint:ignore U1000 the tag tells msgpack to read this struct from an array
	_msgpack struct{} `msgpack:",as_array"`
	ID       uint32
	X, Y     float32
	VX, VY   float32
	Score    int
}

// Coin is one coin in an arena snapshot.
type Coin struct {
	//lint:ignore U1000 the tag tells msgpack to read this struct from an array
	_msgpack struct{} `msgpack:",as_array"`
	ID       uint32
	X, Y     float32
}

// Snapshot is one tick of the lobby, as the default game (arena) describes it.
type Snapshot struct {
	Tick    uint64   `msgpack:"tick"`
	Ack     uint32   `msgpack:"ack"`
	W       float32  `msgpack:"w"`
	H       float32  `msgpack:"h"`
	RoundMS uint32   `msgpack:"round_ms"`
	Players []Player `msgpack:"players"`
	Coins   []Coin   `msgpack:"coins"`
	// Received is when the frame arrived.
	Received time.Time `msgpack:"-"`
}

// ServerError is an error frame that answered a request.
type ServerError struct {
	Code    string
	Message string
}

func (e *ServerError) Error() string { return "tickwire: " + e.Code + ": " + e.Message }

// CloseError reports why the server closed the socket.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("tickwire: socket closed %d %s", e.Code, e.Reason)
}

// Conn is an open socket to a Tickwire server. Its methods are safe for concurrent use.
type Conn struct {
	ws      *websocket.Conn
	Welcome wire.Welcome

	snapshots chan Snapshot
	events    chan wire.Event
	other     chan wire.Envelope
	done      chan struct{}
	err       error

	writeMu sync.Mutex
	nextID  atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]chan wire.Envelope
}

// Dial opens a socket to wsURL (like ws://localhost:8080/ws) with the Authorization header
// and waits for the welcome frame.
func Dial(ctx context.Context, wsURL, accessToken string) (*Conn, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+accessToken)
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{wire.Subprotocol}}
	ws, resp, err := d.DialContext(ctx, wsURL, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("tickwire: dial: %s: %w", resp.Status, err)
		}
		return nil, fmt.Errorf("tickwire: dial: %w", err)
	}
	c := &Conn{ws: ws, snapshots: make(chan Snapshot, 256), events: make(chan wire.Event, 256),
		other: make(chan wire.Envelope, 64), done: make(chan struct{}), pending: map[uint64]chan wire.Envelope{}}
	_, b, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("tickwire: welcome: %w", err)
	}
	env, err := wire.Decode(b, wire.Limits{})
	if err != nil || env.T != wire.TypeWelcome {
		ws.Close()
		return nil, fmt.Errorf("tickwire: first frame is not welcome")
	}
	if err := wire.DecodePayload(env.D, &c.Welcome); err != nil {
		ws.Close()
		return nil, err
	}
	go c.readLoop()
	return c, nil
}

// WebSocketURL turns an http(s) base URL into the server's ws(s) socket URL.
func WebSocketURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/ws"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
}

// Snapshots delivers snapshots; when the reader is 256 behind, the oldest are dropped.
func (c *Conn) Snapshots() <-chan Snapshot { return c.snapshots }

// Events delivers lobby events.
func (c *Conn) Events() <-chan wire.Event { return c.events }

// Other delivers frames that answer no request and are neither snapshots nor events, such as
// reauth_required.
func (c *Conn) Other() <-chan wire.Envelope { return c.other }

// Done is closed when the socket has closed; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the socket closed, a *CloseError when the server closed it.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

func (c *Conn) readLoop() {
	defer close(c.done)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.err = &CloseError{Code: ce.Code, Reason: ce.Text}
			} else {
				c.err = err
			}
			c.ws.Close()
			return
		}
		now := time.Now()
		env, err := wire.Decode(b, wire.Limits{})
		if err != nil {
			continue
		}
		switch {
		case env.T == wire.TypeSnapshot:
			var s Snapshot
			if msgpack.Unmarshal(env.D, &s) != nil {
				continue
			}
			s.Received = now
			select {
			case c.snapshots <- s:
			default:
				select {
				case <-c.snapshots:
				default:
				}
				c.snapshots <- s
			}
		case env.ID != 0 && c.answer(env):
		case env.T == wire.TypeEvent:
			var e wire.Event
			if wire.DecodePayload(env.D, &e) == nil {
				select {
				case c.events <- e:
				default:
				}
			}
		default:
			select {
			case c.other <- env:
			default:
			}
		}
	}
}

func (c *Conn) answer(env wire.Envelope) bool {
	c.mu.Lock()
	ch, ok := c.pending[env.ID]
	delete(c.pending, env.ID)
	c.mu.Unlock()
	if ok {
		ch <- env
	}
	return ok
}

func (c *Conn) write(t string, id uint64, payload any) error {
	b, err := wire.Encode(t, id, payload)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.BinaryMessage, b)
}

// Request sends a frame of type t and waits for the frame that answers it, decoding its payload
// into out. An error frame comes back as a *ServerError.
func (c *Conn) Request(ctx context.Context, t string, payload, out any) error {
	id := c.nextID.Add(1)
	ch := make(chan wire.Envelope, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	if err := c.write(t, id, payload); err != nil {
		return err
	}
	select {
	case env := <-ch:
		if env.T == wire.TypeError {
			var e wire.Error
			_ = wire.DecodePayload(env.D, &e)
			return &ServerError{Code: e.Code, Message: e.Message}
		}
		if out != nil {
			return wire.DecodePayload(env.D, out)
		}
		return nil
	case <-c.done:
		if c.err != nil {
			return c.err
		}
		return errors.New("tickwire: socket closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Join joins a lobby as req says (by id, by code, or quick).
func (c *Conn) Join(ctx context.Context, req wire.Join) (wire.Joined, error) {
	var j wire.Joined
	err := c.Request(ctx, wire.TypeJoin, req, &j)
	return j, err
}

// Create creates a lobby and joins it as its host.
func (c *Conn) Create(ctx context.Context, req wire.Create) (wire.Joined, error) {
	var j wire.Joined
	err := c.Request(ctx, wire.TypeCreate, req, &j)
	return j, err
}

// SendInput sends one input; its Seq comes back as a snapshot's Ack once applied.
func (c *Conn) SendInput(in wire.Input) error {
	return c.write(wire.TypeInput, 0, in)
}

// Close closes the socket with a normal closure.
func (c *Conn) Close() error {
	c.writeMu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.writeMu.Unlock()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		c.ws.Close()
		<-c.done
	}
	return nil
}
