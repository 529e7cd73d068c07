package ws

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Config holds the limits of a server's sockets. One Config is shared by every Conn of a server;
// it must not change once a Conn uses it.
type Config struct {
	MaxMessageBytes int           // the largest message a peer may send; larger closes 1009
	MsgRate         float64       // frames per second a peer may send on average, pings and pongs included
	MsgBurst        int           // frames a peer may send at once
	SendQueue       int           // frames (other than SendLatest's) waiting to be written before the peer counts as too slow
	WriteWait       time.Duration // deadline for one write
	PongWait        time.Duration // how long a silent peer lives; pings go out at 9/10 of it
	StallTimeout    time.Duration // how long SendLatest's frames may be superseded unwritten before the peer counts as too slow

	// BinaryOnly closes a text message 1003 instead of handing it to the handler. Without it a
	// text message must be UTF-8 (1007 otherwise).
	BinaryOnly bool

	// Now is the clock that pings and alarms are scheduled by; nil is time.Now. Deadlines on the
	// network connection always follow the real clock.
	Now func() time.Time

	Metrics Metrics
}

// Counter is a monotonic count, as prometheus.Counter is.
type Counter interface {
	Inc()
	Add(float64)
}

// Metrics are what a Conn counts. Every counter must be set (NopMetrics gives ones that count
// nothing).
type Metrics struct {
	FramesIn   Counter // whole data messages received
	BytesIn    Counter // their payload bytes
	FramesOut  Counter // data frames written (or begun)
	BytesOut   Counter // their payload bytes
	Superseded Counter // SendLatest frames replaced by a newer one before they were written
	SlowCloses Counter // peers closed for not keeping up with their frames

	// Closed is told of every close this side starts, with its code and reason; nil tells no one.
	Closed func(code int, reason string)
}

type nopCounter struct{}

func (nopCounter) Inc()        {}
func (nopCounter) Add(float64) {}

// NopMetrics returns Metrics whose counters count nothing.
func NopMetrics() Metrics {
	var n nopCounter
	return Metrics{FramesIn: n, BytesIn: n, FramesOut: n, BytesOut: n, Superseded: n, SlowCloses: n}
}

// Handler is the session on top of a Conn: what the transport tells it. A Conn calls Message and
// Closed on the goroutine that reads it (see QuickHandler), one call at a time, and Alarm on its timer's goroutine; it
// never holds its own lock while it calls, so a handler may call back into the Conn.
type Handler interface {
	// Message is one whole data message. p is valid only for the call: it lives in the reader's
	// buffer. text is false for binary messages (always, under Config.BinaryOnly).
	Message(p []byte, text bool)
	// Alarm is the time set with SetAlarm come: the Conn's one timer serves the session too.
	Alarm()
	// Closed is reading over, once, before the network connection is dropped: code is the close
	// code of the handshake (sent or received), 0 when the connection broke without one.
	Closed(code int)
}

// QuickHandler is a Handler that takes some messages without waiting. A poller (Conn.Start)
// hands every message to Quick first, on the poller's own goroutine, where nothing may wait on
// a lock held across I/O, a lobby or the store: Quick acts on the messages it can act on at once
// (a game's input) and reports true, or reports false and leaves the message to Message, which
// the socket's own goroutine then calls. A Handler that is not a QuickHandler has every message
// handed to Message that way. Quick and Message are never called at once for one Conn.
type QuickHandler interface {
	Handler
	Quick(p []byte, text bool) bool
}

// Conn is one WebSocket connection after the handshake, the server's side of it: it reads and
// parses frames, answers pings, keeps the peer alive with pings of its own under a read
// deadline, writes frames from a bounded queue and a ring of replaceable frames, and runs the
// closing handshake. Its lifecycle is one state (state.go); its reader goroutine (Run) owns the
// read side; mu guards the rest, which lobbies, timers and revocations touch, and is never held
// across I/O, so that Send and SendLatest never wait on a peer.
type Conn struct {
	cfg       *Config
	h         Handler
	netConn   net.Conn     // set under mu by Attach; nil before
	raw       rawSocket    // netConn's handle in the poller; set with netConn
	poll      *poller      // the poller that reads c (poll_linux.go); nil when Run does
	slot      int32        // c's place in poll
	end       func(error)  // what Start was told to call when reading has ended
	pstate    atomic.Int32 // who reads a polled socket: readPolled, readOwned, readMissed
	readBy    atomic.Int64 // a polled socket's read deadline, in monoNanos
	writeLoop func()       // c.write, bound once so that starting the writer allocates nothing

	// Owned by the reader goroutine.
	in        inbound
	budget    frameBudget
	readUntil time.Time // the read deadline last set by touch

	// Owned by the writer goroutine that runs.
	writeUntil time.Time // the write deadline last set for a data frame

	mu         sync.Mutex
	alarm      time.Time     // when the handler's Alarm is due; zero for never
	pingAt     time.Time     // when the next ping is due
	timer      *time.Timer   // one timer per socket, for pings and the alarm
	st         atomic.Uint32 // the state (state.go): written under mu, read without it too
	queue      [][]byte      // whole frames waiting for the writer
	tail       []byte        // the unwritten end of a frame the caller began (writeNow)
	snaps      *snapRing     // SendLatest's frames not yet written, made with the first one
	writer     writerMode    // who writes on the connection now, if anyone
	closeCode  int           // the close frame's code, owed, sent or answered; 0 when the connection broke
	closeText  string        // its reason
	closeOwed  bool          // the writer sends the close frame last, before it ends
	writerDone chan struct{} // made by cleanup when it waits for a running writer
	directDone chan struct{} // made by cleanup when it waits for writeNow
}

// New returns a Conn for h, not yet attached to a network connection: frames sent now wait for
// Attach, and a Close now is sent as soon as Run starts.
func New(cfg *Config, h Handler) *Conn {
	c := &Conn{cfg: cfg, h: h}
	c.writeLoop = c.write
	return c
}

// Attach gives c its network connection, the upgraded one that gorilla hands over. From here on
// the socket is read and written by hand; gorilla's connection, with its buffers, is let go.
func (c *Conn) Attach(nc net.Conn) {
	c.mu.Lock()
	c.netConn = nc
	c.raw.init(nc)
	c.mu.Unlock()
}

// Run is the socket's reader, for its whole life: it starts the writer for the frames sent
// before Attach, reads until the connection ends, tells the handler, drops the connection, and
// returns why reading ended.
func (c *Conn) Run() error {
	c.arm()
	err := c.readLoop()
	c.cleanup(err)
	return err
}

// arm sets the read deadline and the socket's timer, and starts the writer for the frames sent
// before Attach.
func (c *Conn) arm() {
	c.mu.Lock()
	if c.state() != stateOpen {
		// Closed (a shutdown, a revocation) while it was being upgraded.
		c.setReadDeadline(time.Now().Add(closeWait))
	} else {
		c.readUntil = time.Now().Add(c.cfg.PongWait)
		c.setReadDeadline(c.readUntil)
		now := c.now()
		c.pingAt = now.Add(c.cfg.PongWait * 9 / 10)
		c.timer = time.AfterFunc(c.untilNext(now), c.onTimer)
	}
	c.startWriter()
	c.mu.Unlock()
}

// setReadDeadline bounds the wait for the peer's next bytes: the connection's read deadline,
// or for a socket that a poller reads, the deadline its sweeps keep. Called with mu held.
func (c *Conn) setReadDeadline(t time.Time) {
	if c.poll != nil {
		c.readBy.Store(monoNanos(t))
		return
	}
	_ = c.netConn.SetReadDeadline(t)
}

func (c *Conn) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// SetAlarm asks for the handler's Alarm at at (the zero time: never), replacing the alarm set
// before. A closing Conn keeps no alarm.
func (c *Conn) SetAlarm(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state() != stateOpen {
		return
	}
	c.alarm = at
	if c.timer != nil {
		c.timer.Reset(c.untilNext(c.now()))
	}
}

// untilNext is how long until the socket's next timed event: a ping or the alarm. Called with mu
// held.
func (c *Conn) untilNext(now time.Time) time.Duration {
	next := c.pingAt
	if !c.alarm.IsZero() && c.alarm.Before(next) {
		next = c.alarm
	}
	return max(next.Sub(now), 0)
}

// onTimer is the socket's one timer, which idle sockets by the ten thousand each carry: it pings,
// and calls the handler's Alarm when that is due. It decides from the state under mu when it
// fires, so an alarm moved meanwhile simply makes the old one not due.
func (c *Conn) onTimer() {
	c.mu.Lock()
	if c.state() != stateOpen {
		c.mu.Unlock()
		return
	}
	now := c.now()
	alarm := !c.alarm.IsZero() && !now.Before(c.alarm)
	if alarm {
		c.alarm = time.Time{}
	}
	ping := !now.Before(c.pingAt)
	if ping {
		c.pingAt = now.Add(c.cfg.PongWait * 9 / 10)
	}
	c.timer.Reset(c.untilNext(now))
	c.mu.Unlock()
	if alarm {
		c.h.Alarm()
	}
	if ping {
		c.sendFrame(pingFrame)
	}
}

// Closing reports whether c has begun to close (or has closed).
func (c *Conn) Closing() bool { return c.state() != stateOpen }

func (c *Conn) state() state { return state(c.st.Load()) }

// move takes c from its state to the one e leads to, and reports whether e made a close frame
// owed. Leaving open stops the timer: a closing socket neither pings nor has alarms. Called
// with mu held.
func (c *Conn) move(e event) (owe bool) {
	s := c.state()
	n, owe := s.next(e)
	if n != s {
		c.st.Store(uint32(n))
		if s == stateOpen {
			c.stopTimers()
		}
	}
	return owe
}
