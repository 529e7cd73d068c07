package game

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// State is a lobby's phase.
type State string

// Lobby states.
const (
	StateWaiting  State = "waiting"
	StateRunning  State = "running"
	StateFinished State = "finished"
	StateClosed   State = "closed"
)

// Seat is one player's (or spectator's) place in a lobby. A Seat that the lobby handed out
// (Join, Member.Joined, Info) also names its seat to Lobby.Input.
type Seat struct {
	ID        PlayerID
	AccountID string
	Name      string
	Host      bool
	Spectator bool
	Connected bool

	ref *seat // the lobby's own seat; nil in a Seat made elsewhere
}

// seat is a Seat with what only the engine sees. The loop goroutine owns it. member is written
// by the loop under both the lobby's seatsMu and the seat's mu, so Holds may read it under the
// one and Input under the other; inbox is shared with Input under mu.
//
// Each seat keeps its own inputs, rather than the lobby keeping one queue for all, because an
// input then touches only its connection's seat: with a thousand sockets on one core, the
// lobby-wide mutex and the search for the seat were two of the costliest cache misses of the
// input path. Arrival order across seats is kept by a ticket (arrivals).
type seat struct {
	Seat
	mu     sync.Mutex
	member Member
	inbox  []arrival // inputs since the last tick, at most limit
	limit  int       // inputs
	bytes  int       // of their messages
	held   int       // bytes of the inbox's messages
	buf    []byte    // the inbox's messages too long to be held in their arrival, in order
	ack    uint32
	leftAt time.Time // when it disconnected, for the grace period
	addr   string    // the client address it last joined from (Addressed members)
}

// arrival is an input waiting for the next tick, with its place in the order inputs arrived.
// A message of up to inlineMsg bytes (an arena input is 27) is held in the arrival itself, so
// that the input and its message share one cache line, the one line that passes from the
// socket's core to the lobby's; a longer one is the next n bytes of its seat's buf.
type arrival struct {
	ticket uint64
	id     uint64
	seq    uint32
	n      uint32
	msg    [inlineMsg]byte
}

// inlineMsg is the longest message an arrival holds itself: an arrival is 64 bytes.
const inlineMsg = 40

// Input is one input message as the socket layer hands it over: the frame's id (for an error
// reply), its seq (the ack once applied) and Msg, the raw msgpack map of its d, validated by
// the wire's bounds (nil for an absent d). The lobby copies Msg: the caller may reuse it.
type Input struct {
	ID  uint64
	Seq uint32
	Msg []byte
}

// InputErrors is a Member told when its game refused one of its inputs: the socket answers the
// input's frame id with err, a *wire.Error.
type InputErrors interface {
	InputError(id uint64, err error)
}

// arrivals hands out tickets: one counter for every lobby, so that taking a ticket touches
// memory that every input touches anyway rather than its lobby's.
var arrivals atomic.Uint64

// Info describes a lobby: what the lobby list and joined frames show.
type Info struct {
	ID         string
	Name       string
	Game       string
	Code       string
	Private    bool
	State      State
	TickRate   int
	MaxPlayers int
	Players    int // seats that play, connected or within their grace period
	Seats      []Seat
}

// queuedInput is an input taken from its seat at a tick; its message is the lobby's
// inbuf[off:off+n].
type queuedInput struct {
	seat   *seat
	id     uint64
	ticket uint64
	seq    uint32
	off, n uint32
}

// Lobby is one game session: its seats, its game and the loop that ticks it.
type Lobby struct {
	id, name, code, gameName, owner string
	private, quick                  bool
	tickRate, maxPlayers            int
	period                          time.Duration
	limits                          Limits
	clock                           Clock
	game                            Game
	rounds                          Rounds      // nil: the game does not play in rounds
	conns                           Connections // nil: the game is not told of drops
	minPlayers                      int         // a round starts with at least this many
	snapEvery                       uint64      // a snapshot every this many ticks
	log                             *slog.Logger
	record                          func(Match) // nil: results are not kept
	onClose                         func(*Lobby)
	onTick                          func(took, late time.Duration) // nil: not observed
	ownerAddr                       string                         // the creator's client address

	cmds  chan func()
	done  chan struct{}
	timer Timer // armed at next from the lobby's creation on; Run waits on it

	// seatsMu guards seats and their members for Holds; the loop writes both under it.
	seatsMu sync.Mutex

	// summary is what List shows, updated by the loop and read by anyone.
	summaryMu sync.Mutex
	summary   Info

	stats  Stats
	listed atomic.Bool // List and QuickJoin show the lobby: its first member has its seat

	// Owned by the loop goroutine.
	state      State
	awaitFirst string // the account that must take the first seat before anyone else may
	seats      []*seat
	members    int           // seats with a member connected
	batch      []queuedInput // the inputs of a tick, in arrival order
	inbuf      []byte        // their messages
	views      []viewState   // the views encoded for the last snapshot, views[:nviews]
	kicked     []string      // accounts the host removed, refused a new seat
	kickedAddr []string      // their client addresses (Addressed members), refused too
	nextID     PlayerID
	tick       uint64
	next       time.Time // when the next tick is due
	roundStart time.Time
	stateAt    time.Time
	emptySince time.Time
	clockTick  Tick // what Game.Tick is handed, reused
}

// viewState is one view's state encoded for a snapshot.
type viewState struct {
	view View
	w    *StateWriter
}

// maxKicked bounds how many kicked accounts a lobby remembers; past it the oldest is forgotten.
const maxKicked = 256

// ID returns the lobby's id.
func (l *Lobby) ID() string { return l.id }

// Code returns the lobby's join code, empty for a public lobby.
func (l *Lobby) Code() string { return l.code }

// Done is closed when the lobby's loop has stopped, once the registry has forgotten the lobby.
func (l *Lobby) Done() <-chan struct{} { return l.done }

// Stats returns the lobby's counters.
func (l *Lobby) Stats() *Stats { return &l.stats }

// Summary returns the lobby's last published description.
func (l *Lobby) Summary() Info {
	l.summaryMu.Lock()
	defer l.summaryMu.Unlock()
	return l.summary
}

// do runs f on the lobby's goroutine and waits for it, or fails when the lobby has closed.
func (l *Lobby) do(ctx context.Context, f func()) error {
	ran := make(chan struct{})
	select {
	case l.cmds <- func() { f(); close(ran) }:
	case <-l.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ran:
		return nil
	case <-l.done:
		return ErrClosed
	}
}

// Info returns the lobby as its loop sees it now. It waits for the loop, so everything queued
// before it (joins, leaves, ticks already due) has happened when it returns.
func (l *Lobby) Info(ctx context.Context) (Info, error) {
	var info Info
	err := l.do(ctx, func() { info = l.info() })
	return info, err
}

// Join seats m, or, when m's account already holds a seat (a reconnect within the grace
// period), gives that seat back to m. It returns the seat and the lobby as m sees it. A
// spectator takes no part in the game: it receives snapshots and events and sends no input.
func (l *Lobby) Join(ctx context.Context, m Member, spectate bool) (Seat, Info, error) {
	var seat Seat
	var info Info
	var err error
	if derr := l.do(ctx, func() { seat, info, err = l.join(m, spectate) }); derr != nil {
		return seat, info, derr
	}
	return seat, info, err
}

// JoinByID is Join for a player who named the lobby by its id rather than its join code. A
// private lobby answers ErrNotFound, as an id that does not exist does, unless m's account
// already holds a seat there (a rejoin) or created the lobby: its id is no secret, its code is.
func (l *Lobby) JoinByID(ctx context.Context, m Member, spectate bool) (Seat, Info, error) {
	var seat Seat
	var info Info
	var err error
	derr := l.do(ctx, func() {
		if l.private && m.AccountID() != l.owner && l.seatOfAccount(m.AccountID()) == nil {
			err = ErrNotFound
			return
		}
		seat, info, err = l.join(m, spectate)
	})
	if derr != nil {
		return seat, info, derr
	}
	return seat, info, err
}

// Leave gives up m's seat at once. After it returns the lobby makes no more calls on m.
func (l *Lobby) Leave(ctx context.Context, m Member) error {
	return l.do(ctx, func() { l.leave(m, reasonLeft) })
}

// Disconnect tells the lobby that m's connection dropped: a player's seat is kept for the grace
// period, for a reconnect of the same account; a spectator's is given up.
func (l *Lobby) Disconnect(m Member) {
	select {
	case l.cmds <- func() { l.disconnect(m) }:
	case <-l.done:
	}
}

// Start begins a round; only the host may, and not while a round runs.
func (l *Lobby) Start(ctx context.Context, m Member) error {
	var err error
	if derr := l.do(ctx, func() { err = l.start(m) }); derr != nil {
		return derr
	}
	return err
}

// Kick removes player id; only the host may. The kicked account may not take a new seat in
// this lobby for the rest of its life.
func (l *Lobby) Kick(ctx context.Context, m Member, id PlayerID) error {
	var err error
	if derr := l.do(ctx, func() { err = l.kick(m, id) }); derr != nil {
		return derr
	}
	return err
}

// Input queues one input from seat for the next tick. It returns false, and the input is not
// applied, when seat is not one this lobby handed out, when m does not hold it (it left, was
// kicked or replaced, or the lobby closed), when the seat is a spectator's, or when the seat
// already has Limits.InputQueue inputs, or Limits.InputBytes of messages, waiting; only the
// last case counts in Stats.InputsDropped. Inputs are applied in the order Input was called.
func (l *Lobby) Input(seat *Seat, m Member, in Input) bool {
	s := seat.ref
	if s == nil || s.Spectator || m == nil {
		return false
	}
	s.mu.Lock()
	switch {
	case s.member != m:
	case len(s.inbox) >= s.limit || s.held+len(in.Msg) > s.bytes:
		l.stats.InputsDropped.Add(1)
	default:
		s.inbox = append(s.inbox, arrival{ticket: arrivals.Add(1), id: in.ID, seq: in.Seq, n: uint32(len(in.Msg))})
		if len(in.Msg) <= inlineMsg {
			copy(s.inbox[len(s.inbox)-1].msg[:], in.Msg)
		} else {
			s.buf = append(s.buf, in.Msg...)
		}
		s.held += len(in.Msg)
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	return false
}

// Holds reports whether m holds a seat in the lobby now; it is false once m has left, been
// kicked or replaced by a newer connection of its account, or the lobby has closed.
func (l *Lobby) Holds(m Member) bool {
	l.seatsMu.Lock()
	defer l.seatsMu.Unlock()
	for _, s := range l.seats {
		if s.member == m {
			return true
		}
	}
	return false
}

// setMember gives s to m, or takes it from its member when m is nil; inputs waiting from the
// member before are dropped. Runs on the loop goroutine.
func (l *Lobby) setMember(s *seat, m Member) {
	switch {
	case s.member == nil && m != nil:
		l.connect()
	case s.member != nil && m == nil:
		l.members--
	}
	l.seatsMu.Lock()
	s.mu.Lock()
	s.member = m
	s.inbox = s.inbox[:0]
	s.buf = s.buf[:0]
	s.held = 0
	s.mu.Unlock()
	l.seatsMu.Unlock()
}

// takeInputs collects the inputs every seat has waiting, in the order they arrived. Runs on the
// loop goroutine; the batch is reused at the next tick. Only inputs that took their ticket
// before it began are taken: one that came in while it went from seat to seat may have a
// later-ticketed input already taken from another seat's queue before it, so it waits for the
// next tick with every other latecomer. A seat's queue is in ticket order (the ticket is taken
// under the seat's lock).
func (l *Lobby) takeInputs() []queuedInput {
	batch := l.batch[:0]
	buf := l.inbuf[:0]
	cut := arrivals.Load()
	for _, s := range l.seats {
		s.mu.Lock()
		k, used := 0, uint32(0)
		for i := range s.inbox {
			a := &s.inbox[i]
			if a.ticket > cut {
				break
			}
			batch = append(batch, queuedInput{seat: s, id: a.id, ticket: a.ticket, seq: a.seq, off: uint32(len(buf)), n: a.n})
			if a.n <= inlineMsg {
				buf = append(buf, a.msg[:a.n]...)
			} else {
				buf = append(buf, s.buf[used:used+a.n]...)
				used += a.n
			}
			s.held -= int(a.n)
			k++
		}
		s.inbox = s.inbox[:copy(s.inbox, s.inbox[k:])]
		s.buf = s.buf[:copy(s.buf, s.buf[used:])]
		s.mu.Unlock()
	}
	l.inbuf = buf
	sortByTicket(batch)
	l.batch = batch
	return batch
}

// sortByTicket puts a tick's inputs in arrival order. A lobby's batch is small and each seat's
// part of it is in order already, so an insertion sort, its comparison inlined, does it in a
// few moves; a long batch (many seats, many inputs each) goes to the library's sort.
func sortByTicket(batch []queuedInput) {
	if len(batch) > 16 {
		slices.SortFunc(batch, func(a, b queuedInput) int { return cmp.Compare(a.ticket, b.ticket) })
		return
	}
	for i := 1; i < len(batch); i++ {
		for j := i; j > 0 && batch[j].ticket < batch[j-1].ticket; j-- {
			batch[j], batch[j-1] = batch[j-1], batch[j]
		}
	}
}
