package game

import "github.com/tickwire/tickwire/server/wire"

// Member is a connection taking part in a lobby. The engine calls its methods from the lobby's
// goroutine; none may block.
type Member interface {
	// AccountID names the account behind the connection: a reconnect of the same account
	// within the grace period takes the same seat.
	AccountID() string
	// Name is the name shown to other players.
	Name() string
	// Joined tells the member it holds seat in the lobby described by info. It is the first
	// call a lobby makes on a member, before any snapshot or event.
	Joined(seat Seat, info Info)
	// Snapshot hands over this tick's snapshot; its State may not be kept past the call.
	// Delivery is latest-wins: a member that has not sent the previous one yet may drop it
	// for this one.
	Snapshot(s Snapshot)
	// Event hands over a lobby event. Events are never silently dropped: a member that cannot
	// queue one should close its connection.
	Event(e Event)
}

// Addressed is a Member that knows where it connects from. Limits that accounts made at will
// (guests) could multiply count per address too: a kick bars the kicked member's address from
// the lobby as well as its account.
type Addressed interface {
	// ClientAddr names the member's client address (an IPv4 address, or an IPv6 /64).
	ClientAddr() string
}

func clientAddr(m Member) string {
	if a, ok := m.(Addressed); ok {
		return a.ClientAddr()
	}
	return ""
}

// Snapshot is one tick's state for one member. State is shared by every member who sees the
// same view and must not be modified; it holds Fields msgpack map entries. State is valid only during
// the Snapshot call: the lobby encodes the next tick into the same buffer, so a member that
// keeps the snapshot for later keeps a copy of its bytes (or of the frame made from them).
type Snapshot struct {
	Tick   uint64
	Ack    uint32
	State  []byte
	Fields int
}

// Event is something that happened in a lobby. Kind is one of server/wire's Event* kinds, the
// protocol's own names, so that the server hands it on as it is (server/frames.go eventFrame is
// the one place an Event becomes a frame); the other fields are set as the kind needs.
type Event struct {
	Kind   string
	Lobby  string
	Player *Seat
	State  State
	Reason string
	Scores []Score
	// Name and Data are a game event's (kind game): its name and its data, msgpack-encoded
	// once for every member it goes to (nil for none). Data must not be modified.
	Name string
	Data []byte
}

// eventGame is the kind of a game's own events, wire.EventGame.
const eventGame = wire.EventGame
