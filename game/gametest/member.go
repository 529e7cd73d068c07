package gametest

import (
	"fmt"
	"sync"

	"github.com/tickwire/tickwire/game"
)

// Member is a game.Member that records what its lobby tells it: the seats it was given, its
// events, how many snapshots it got and the last one. It also checks the order the engine
// promises (Joined before anything else, ticks that only rise) and keeps what broke it.
type Member struct {
	Account  string
	Nickname string

	mu         sync.Mutex
	seats      []game.Seat
	infos      []game.Info
	events     []game.Event
	snapshots  int
	last       game.Snapshot // its State a copy
	lastBuf    *byte         // the first byte of the State the lobby handed over
	calls      int
	violations []string
	refused    []InputRefusal
}

// InputRefusal is one input the member's game refused: the input frame's id and the error.
type InputRefusal struct {
	ID  uint64
	Err error
}

var (
	_ game.Member      = (*Member)(nil)
	_ game.InputErrors = (*Member)(nil)
)

// NewMember returns a member for account, shown as name.
func NewMember(account, name string) *Member { return &Member{Account: account, Nickname: name} }

// AccountID implements game.Member.
func (m *Member) AccountID() string { return m.Account }

// Name implements game.Member.
func (m *Member) Name() string { return m.Nickname }

// Joined implements game.Member.
func (m *Member) Joined(seat game.Seat, info game.Info) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	m.seats = append(m.seats, seat)
	m.infos = append(m.infos, info)
	m.last = game.Snapshot{} // a new seat: its ticks may start anywhere
}

// Snapshot implements game.Member.
func (m *Member) Snapshot(s game.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if len(m.seats) == 0 {
		m.violations = append(m.violations, "snapshot before joined")
	}
	if m.last.State != nil && s.Tick <= m.last.Tick {
		m.violations = append(m.violations, fmt.Sprintf("tick %d after %d", s.Tick, m.last.Tick))
	}
	if m.last.State != nil && s.Ack < m.last.Ack {
		m.violations = append(m.violations, fmt.Sprintf("ack %d after %d", s.Ack, m.last.Ack))
	}
	m.snapshots++
	m.lastBuf = nil
	if len(s.State) > 0 {
		m.lastBuf = &s.State[0]
	}
	s.State = append([]byte{}, s.State...) // the lobby's buffer is only lent for the call
	m.last = s
}

// StateBuffer returns the address of the first byte of the State the lobby handed over with
// the last snapshot (nil if it was empty), to tell which buffer the lobby used.
func (m *Member) StateBuffer() *byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastBuf
}

// Event implements game.Member.
func (m *Member) Event(e game.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if len(m.seats) == 0 {
		m.violations = append(m.violations, "event "+e.Kind+" before joined")
	}
	m.events = append(m.events, e)
}

// InputError implements game.InputErrors.
func (m *Member) InputError(id uint64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	m.refused = append(m.refused, InputRefusal{ID: id, Err: err})
}

// InputErrors returns the inputs the game refused so far.
func (m *Member) InputErrors() []InputRefusal {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]InputRefusal(nil), m.refused...)
}

// Seat returns the seat the member was last given, and whether it was given one.
func (m *Member) Seat() (game.Seat, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.seats) == 0 {
		return game.Seat{}, false
	}
	return m.seats[len(m.seats)-1], true
}

// Joins returns how many times the member was seated.
func (m *Member) Joins() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seats)
}

// Snapshots returns how many snapshots the member got.
func (m *Member) Snapshots() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapshots
}

// Last returns the last snapshot, and whether there was one.
func (m *Member) Last() (game.Snapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, m.snapshots > 0
}

// Events returns the events so far.
func (m *Member) Events() []game.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]game.Event(nil), m.events...)
}

// EventKinds returns the kinds of the events so far, in order.
func (m *Member) EventKinds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(m.events))
	for i, e := range m.events {
		out[i] = e.Kind
	}
	return out
}

// Calls counts every call the lobby made on the member.
func (m *Member) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Violations returns what broke the engine's promises to the member, if anything did.
func (m *Member) Violations() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.violations...)
}
