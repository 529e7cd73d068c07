package goclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server/wire"
)

// Options configure a Conn made by Client.Connect. The zero value is ready to use.
type Options struct {
	// OnSnapshot, when set, receives every snapshot in its wire form on the connection's reader
	// goroutine, instead of the Snapshots channel. It must return quickly and must not call
	// Close or a method that waits for a reply (Request, Join, Create, Leave, Ping, Start,
	// Kick, Reauth); SendInput and Send are fine.
	OnSnapshot func(*RawSnapshot)
	// OnEvent, when set, receives lobby events on the reader goroutine, instead of the Events
	// channel, under the same rules.
	OnEvent func(wire.Event)
	// OnStatus, when set, is told what the connection does on its own: reconnects, rejoins and
	// reauths. Calls come one at a time, from the reader or from a token refresh, so possibly
	// while OnSnapshot runs; the same rules apply.
	OnStatus func(Status)
	// OnTokens, when set, receives every new token pair after a refresh, for a caller that keeps
	// them: a refresh token works once.
	OnTokens func(Tokens)
	// NoReconnect ends the connection at the first lost socket instead of reconnecting.
	NoReconnect bool
	// ReconnectFor bounds how long the connection keeps trying to reconnect before it ends with
	// the last error. Zero means 5 minutes; negative means forever.
	ReconnectFor time.Duration
	// FallbackAfter is how many dials in a row the node a join moved the connection to may fail
	// (refused, unanswered, or answered 5xx) before the connection goes back to the node it was
	// first given, which places it again (see Conn). Zero means 2.
	FallbackAfter int
	// MinBackoff and MaxBackoff bound the wait before each reconnect attempt, which doubles from
	// the one to the other with random jitter. Zero means 250 ms and 15 s.
	MinBackoff, MaxBackoff time.Duration
	// ReadTimeout ends a socket that received nothing for this long; the server pings an idle
	// socket well within its own pong wait (60 s by default). Zero means 90 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds one write. Zero means 10 s.
	WriteTimeout time.Duration
	// MaxFrameBytes bounds one frame from the server. Zero means 1 MiB.
	MaxFrameBytes int
	// Buffer is the capacity of the Snapshots, Events and Other channels. Zero means 64.
	Buffer int
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.ReconnectFor, 5*time.Minute)
	def(&o.MinBackoff, 250*time.Millisecond)
	def(&o.MaxBackoff, 15*time.Second)
	def(&o.ReadTimeout, 90*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	if o.FallbackAfter <= 0 {
		o.FallbackAfter = 2
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 1 << 20
	}
	if o.Buffer <= 0 {
		o.Buffer = 64
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	return o
}

// StatusKind names what a connection did on its own.
type StatusKind int

// What a connection reports through Options.OnStatus.
const (
	// StatusDisconnected: the socket dropped (Err says why) and a reconnect follows.
	StatusDisconnected StatusKind = iota + 1
	// StatusReconnected: a new socket is up.
	StatusReconnected
	// StatusRejoined: back in the lobby, and seat, held before the drop.
	StatusRejoined
	// StatusRejoinFailed: that lobby could not be rejoined and the connection is in no lobby.
	// Err says why: ErrLobbyGone (and ErrNotFound) when the lobby no longer exists, as after a
	// server restart or the death of its node.
	StatusRejoinFailed
	// StatusReauthed: the access token was renewed in band.
	StatusReauthed
	// StatusReauthFailed: a refresh or reauth failed (Err); it is retried until the token
	// expires.
	StatusReauthFailed
	// StatusPlaced: the lobby held before the drop was gone or out of reach, and the
	// connection, which had quick-joined it, quick-joined again: it plays in a new lobby
	// (Conn.Lobby), perhaps on another node.
	StatusPlaced
	// StatusFellBack: the node a join had moved the connection to stopped answering, and the
	// connection went back to the node it was first given.
	StatusFellBack
)

var statusNames = [...]string{"", "disconnected", "reconnected", "rejoined", "rejoin_failed", "reauthed", "reauth_failed", "placed", "fell_back"}

func (k StatusKind) String() string {
	if k > 0 && int(k) < len(statusNames) {
		return statusNames[k]
	}
	return fmt.Sprintf("status(%d)", int(k))
}

// Status is one thing a connection did on its own.
type Status struct {
	Kind StatusKind
	Err  error
	// Attempt counts reconnect attempts since the socket dropped, for StatusReconnected.
	Attempt int
}

// Conn is a connection to a Tickwire server. Its methods are safe for concurrent use.
//
// Made by Dial, it is one socket: reauth_required arrives on Other for the caller to answer
// with Reauth, and the Conn ends when the socket does. Made by Client.Connect, it outlives its
// sockets: it answers reauth_required itself (refresh over HTTP, then reauth), and after the
// server goes away (1001) or the connection breaks it reconnects with backoff and jitter and
// rejoins the lobby it was in, taking back its seat; in a cluster it goes back to the node it
// was first given when the node a join moved it to stops answering, and a connection that
// quick-joined quick-joins again when its lobby is gone. Either way one goroutine reads for it,
// and Close ends it and every goroutine it started.
type Conn struct {
	// Welcome is the first socket's welcome frame.
	Welcome wire.Welcome

	api  *Client // nil for a Conn made by Dial
	opts Options

	urlMu   sync.Mutex
	url     string               // where the Conn dials: the node it was last moved to
	origin  string               // the node it was first given, where it falls back
	handoff chan *websocket.Conn // a socket to another node that the reader takes up next
	// dialToken is the access token a Conn made by Dial opened its socket with; a Conn made
	// by Connect keeps its tokens in tokens.
	dialToken string

	snapshots chan Snapshot
	events    chan wire.Event
	other     chan wire.Envelope
	done      chan struct{}
	err       error // why it ended, set before done closes

	ctx    context.Context // ends when the Conn does
	cancel context.CancelFunc
	wg     sync.WaitGroup // goroutines besides the reader: token refreshes
	nextID atomic.Uint64

	// writeMu guards the write side: the socket used for writing and the encode buffer.
	writeMu    sync.Mutex
	ws         *websocket.Conn // nil while reconnecting
	wbuf       []byte          // a message being encoded
	fbuf       []byte          // a frame being written
	writeArmed time.Time
	closeSent  bool // a close frame went out on ws: nothing may follow it

	// mu guards the rest of the shared state.
	mu        sync.Mutex
	up        chan struct{} // closed while a socket is up
	pending   map[uint64]*call
	closing   bool
	tokens    Tokens
	tokenGen  int
	accessExp time.Time
	reauthing bool
	lobby     string
	player    uint32
	how       wire.Join // the join that put the connection in lobby howLobby, as asked
	howLobby  string
	placing   bool // a goroutine is putting the connection back in its lobby

	refreshMu sync.Mutex // one refresh at a time: refresh tokens work once
	statusMu  sync.Mutex // OnStatus calls come one at a time

	// Owned by the reader goroutine.
	rbuf      []byte
	raw       RawSnapshot
	readArmed time.Time
}

// call is a request waiting for its reply: a caller's (ch) or the Conn's own (fn, run on the
// reader goroutine).
type call struct {
	ch chan result
	fn func(wire.Envelope)
}

type result struct {
	env wire.Envelope
	err error
}

// Dial opens one socket to wsURL (like ws://localhost:8080/ws) with accessToken in the
// Authorization header and waits for the welcome frame. A refused upgrade comes back as an
// *APIError.
func Dial(ctx context.Context, wsURL, accessToken string) (*Conn, error) {
	c := newConn(nil, wsURL, Options{NoReconnect: true})
	c.dialToken = accessToken
	if err := c.start(ctx, accessToken); err != nil {
		return nil, err
	}
	return c, nil
}

// Connect opens a connection that renews its token in band and reconnects, as Conn describes,
// with the token pair tok from Login, Guest or Refresh; an access token that has expired
// already is refreshed first. ctx bounds the first dial only.
func (cl *Client) Connect(ctx context.Context, tok Tokens, opts Options) (*Conn, error) {
	c := newConn(cl, WebSocketURL(cl.BaseURL), opts)
	c.setTokens(tok)
	err := c.start(ctx, tok.AccessToken)
	if errors.Is(err, ErrExpired) {
		// The access token expired before its first use: the refresh token may still serve.
		c.ctx, c.cancel = context.WithCancel(context.Background())
		var t Tokens
		if t, err = c.refresh(ctx, 1); err == nil {
			err = c.start(ctx, t.AccessToken)
		}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newConn(api *Client, url string, opts Options) *Conn {
	opts = opts.withDefaults()
	c := &Conn{api: api, url: url, origin: url, opts: opts, handoff: make(chan *websocket.Conn, 1),
		snapshots: make(chan Snapshot, opts.Buffer), events: make(chan wire.Event, opts.Buffer),
		other: make(chan wire.Envelope, opts.Buffer), done: make(chan struct{}),
		up: make(chan struct{}), pending: map[uint64]*call{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

func (c *Conn) start(ctx context.Context, token string) error {
	ws, welcome, err := c.dial(ctx, token)
	if err != nil {
		c.cancel()
		return err
	}
	c.Welcome = welcome
	c.install(ws)
	go c.run(ws)
	return nil
}

// dial opens a socket and reads its welcome.
func (c *Conn) dial(ctx context.Context, token string) (*websocket.Conn, wire.Welcome, error) {
	var w wire.Welcome
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	// Each socket keeps its own small write buffer: gorilla's shared buffer pool allocates on
	// every message it returns a buffer to the pool, and a client's frames are small.
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{wire.Subprotocol},
		ReadBufferSize: 2048, WriteBufferSize: 1024, Proxy: http.ProxyFromEnvironment}
	c.urlMu.Lock()
	url := c.url
	c.urlMu.Unlock()
	ws, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, w, dialRefused(resp, err)
		}
		return nil, w, fmt.Errorf("tickwire: dial: %w", err)
	}
	ws.SetReadLimit(int64(c.opts.MaxFrameBytes))
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	} else {
		_ = ws.SetReadDeadline(time.Now().Add(c.opts.ReadTimeout))
	}
	_, b, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, w, fmt.Errorf("tickwire: welcome: %w", closeErr(err))
	}
	env, err := wire.Decode(b, wire.Limits{})
	if err == nil && env.T != wire.TypeWelcome {
		err = fmt.Errorf("first frame is %q, not welcome", env.T)
	}
	if err == nil {
		err = wire.DecodePayload(env.D, &w)
	}
	if err != nil {
		ws.Close()
		return nil, w, fmt.Errorf("tickwire: welcome: %w", err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	return ws, w, nil
}

// dialRefused turns a refused upgrade into an *APIError from its JSON body.
func dialRefused(resp *http.Response, err error) error {
	e := &APIError{Status: resp.StatusCode}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = json.Unmarshal(b, e)
		resp.Body.Close()
	}
	if e.Code == "" {
		return fmt.Errorf("tickwire: dial: %s: %w", resp.Status, err)
	}
	e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	return e
}

// closeErr turns gorilla's close error into ours.
func closeErr(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Reason: ce.Text}
	}
	return err
}

// install makes ws the socket in use.
func (c *Conn) install(ws *websocket.Conn) {
	// Pongs and the answer to the server's close go out the way every other frame does
	// (writeFrameLocked), so that one write deadline serves them all and no frame follows the
	// close frame.
	ws.SetPingHandler(func(data string) error {
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		if c.ws != ws {
			return nil
		}
		return c.writeFrameLocked(opPong, []byte(data))
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		if c.ws == ws {
			_ = c.writeCloseLocked(code)
		}
		return nil
	})
	c.writeMu.Lock()
	c.ws, c.writeArmed, c.closeSent = ws, time.Time{}, false
	c.writeMu.Unlock()
	c.mu.Lock()
	close(c.up)
	c.mu.Unlock()
}

// drop forgets ws and fails the requests that waited on it.
func (c *Conn) drop(ws *websocket.Conn) {
	c.writeMu.Lock()
	if c.ws == ws {
		c.ws = nil
	}
	c.writeMu.Unlock()
	ws.Close()
	c.mu.Lock()
	c.up = make(chan struct{})
	for id, p := range c.pending {
		if p.ch != nil {
			p.ch <- result{err: ErrConnectionLost}
		}
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// Lobby returns the lobby the connection is in and its player id there, or "" and 0.
func (c *Conn) Lobby() (id string, player uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lobby, c.player
}

func (c *Conn) status(s Status) {
	if c.opts.OnStatus == nil {
		return
	}
	c.statusMu.Lock()
	defer c.statusMu.Unlock()
	c.opts.OnStatus(s)
}

// Snapshots delivers decoded snapshots, unless Options.OnSnapshot takes them. When the reader
// falls a buffer behind, the oldest are dropped. It is closed when the connection ends.
func (c *Conn) Snapshots() <-chan Snapshot { return c.snapshots }

// Events delivers lobby events, unless Options.OnEvent takes them; when the buffer is full, new
// events are dropped. It is closed when the connection ends.
func (c *Conn) Events() <-chan wire.Event { return c.events }

// Other delivers frames that answer no request and are neither snapshots nor events, such as
// reauth_required on a Conn made by Dial. It is closed when the connection ends.
func (c *Conn) Other() <-chan wire.Envelope { return c.other }

// Done is closed when the connection has ended for good; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended: nil after Close, a *CloseError when the server closed
// it (test it with errors.Is against ErrExpired, ErrRevoked, ErrPolicy), or the error that
// stopped the reconnects. It returns nil while the connection lives.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close ends the connection: it sends a normal close, waits up to 2 s for the server's answer,
// and returns once every goroutine of the Conn has stopped. It must not be called from an
// Options callback.
func (c *Conn) Close() error {
	c.mu.Lock()
	already := c.closing
	c.closing = true
	c.mu.Unlock()
	if !already {
		c.cancel() // stops a reconnect or a refresh in progress
		c.writeMu.Lock()
		if c.ws != nil {
			_ = c.writeCloseLocked(websocket.CloseNormalClosure)
		}
		c.writeMu.Unlock()
	}
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.writeMu.Lock()
		if c.ws != nil {
			c.ws.NetConn().Close()
		}
		c.writeMu.Unlock()
		<-c.done
	}
	return nil
}

// WebSocketURL turns an http(s) base URL into the server's ws(s) socket URL.
func WebSocketURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/ws"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
}
