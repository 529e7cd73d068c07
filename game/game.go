package game

import (
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// PlayerID names a seat in a lobby, a player's or a spectator's; it is stable across a reconnect
// within the seat grace.
type PlayerID uint32

// Player is a seat as a Game sees it.
type Player struct {
	ID        PlayerID
	AccountID string
	Name      string
	Spectator bool
}

// Score is one player's result.
type Score struct {
	Player    PlayerID
	AccountID string
	Name      string
	Score     int
}

// Tick is one step of a lobby's simulation, handed to Game.Tick.
type Tick struct {
	Tick uint64        // the tick's number, the snapshot's tick
	DT   time.Duration // how far the tick advances the game: one period of the tick rate
	Now  time.Time     // when the tick runs, on the lobby's clock
}

// Game is one lobby's rules and state. The engine calls every method from the lobby's
// goroutine, so a Game needs no locks. A game lives in its own folder under game/ and is
// registered by its Definition; the engine owns timing, input queues, membership, snapshots
// and events.
//
// A Game may implement the optional interfaces Connections, Terminator and Rounds as well.
type Game interface {
	// Join is the join attempt and the join at once: an error refuses the seat, and its
	// text (or, for a *wire.Error, its code and text) is what the client hears, with the code
	// refused by default. Spectators come through Join too (p.Spectator), so that a game may
	// refuse them or prepare their view.
	Join(p Player) error
	// Leave tells the game that seat id is given up (players and spectators alike).
	// Consented is true when the member left on purpose (a leave frame); false when its grace
	// ran out, it was kicked, or a spectator's connection dropped.
	Leave(id PlayerID, consented bool)
	// Input hands the game one input message of player id, in arrival order, before the next
	// Tick. msg is the raw msgpack map of the input frame's d, its seq included (the engine
	// has read seq for the ack), already through the wire's bounded validation: a map whose
	// keys are strings, within the server's size, depth and element bounds. An absent d is an
	// empty map. The game reads the fields it knows (see Fields); an error answers the
	// member's socket with an error frame (invalid_request with the error's text, or the
	// *wire.Error's code) and does not close it. msg is valid only during the call.
	Input(id PlayerID, msg []byte) error
	// Tick advances the game by one tick of t.DT.
	Tick(t *Tick)
	// ViewOf names the view a member sees; members with equal views share one encoding per
	// snapshot. A game whose members all see the same state returns the same View for all.
	ViewOf(p Player) View
	// WriteState writes the snapshot state of view v, one map entry at a time. It is called
	// once per distinct view per snapshot, never once per member when views are equal.
	WriteState(v View, w *StateWriter)
}

// View is a game's name for what a member may see: in a game of hidden hands, one view per seat
// and one for all spectators; in a game where everyone sees everything, one view for all.
type View uint64

// Connections is a Game told when a seated player's socket drops (its seat kept for the grace)
// and when the player comes back within the grace.
type Connections interface {
	Disconnected(id PlayerID)
	Reconnected(id PlayerID)
}

// Terminator is a Game told once, last, when its lobby closes.
type Terminator interface {
	Terminate()
}

// Rounds is a Game that plays in rounds: the lobby's waiting, running and finished phases, the
// host's start, quick lobbies' automatic start, round_over events and recorded results are the
// engine's for such a game. A game without Rounds is running from its lobby's creation and
// records results through Dispatcher.Finish when it wants.
type Rounds interface {
	// StartRound begins a round with the players seated now.
	StartRound()
	// RoundOver reports whether the running round has ended.
	RoundOver() bool
	// Scores returns the round's scores, best first.
	Scores() []Score
}

// Dispatcher is how a game speaks beyond snapshots: reliable game events, never dropped and
// ordered with the lobby's other events. It is valid only on the lobby's goroutine (from the
// Game's methods), and is given in Config.
type Dispatcher interface {
	// Send delivers game event name with data (any msgpack-encodable value, encoded once) to
	// the listed seats that are connected now.
	Send(to []PlayerID, name string, data any)
	// Broadcast delivers game event name with data to every connected member, spectators
	// included.
	Broadcast(name string, data any)
	// Finish records a finished match's scores, best first (results, leaderboard, a
	// round_over event to all), for games without Rounds or mid-round.
	Finish(scores []Score)
}

// Config is what a lobby tells its game at creation.
type Config struct {
	TickRate     int // simulation rate, Hz
	SnapshotRate int // snapshots sent per second (TickRate divided by the ticks between two)
	MaxPlayers   int
	Seed         uint64
	Options      Options // validated against Definition.Options, defaults filled in
	Out          Dispatcher
}

// Definition is one game as the server lists and creates it.
type Definition struct {
	Name        string // the name create asks for and lobbies show
	DisplayName string
	// MinPlayers and MaxPlayers bound a lobby's max_players at create; MinPlayers is also how
	// many seated players a round needs to start (Rounds games). Zero means 1 and
	// MaxPlayersCap.
	MinPlayers, MaxPlayers int
	// TickRate is the game's default simulation rate (create's tick_rate overrides it within
	// the server's bounds); SnapshotRate how many snapshots a second its lobbies send at
	// most: a snapshot goes every ceil(tick rate / snapshot rate) ticks, and never more often
	// than Limits.MaxSnapshotRate allows. Zero takes the registry's default tick rate, and a
	// snapshot every tick.
	TickRate, SnapshotRate int
	// Options are what create's options accept.
	Options []Option
	// New makes the game of a new lobby; an error refuses the create (invalid_request with
	// its text, or the *wire.Error's code).
	New func(Config) (Game, error)
}

// The engine's failures, *wire.Error values of the protocol's codes. They are shared by every
// caller: never modify one.
var (
	ErrNotFound   = &wire.Error{Code: wire.CodeNotFound, Message: "no such lobby"}
	ErrLobbyFull  = &wire.Error{Code: wire.CodeLobbyFull, Message: "the lobby is full"}
	ErrNotHost    = &wire.Error{Code: wire.CodeForbidden, Message: "only the lobby's host may do that"}
	ErrClosed     = &wire.Error{Code: wire.CodeLobbyClosed, Message: "the lobby has closed"}
	ErrNotInLobby = &wire.Error{Code: wire.CodeNotInLobby, Message: "not in a lobby"}
	// ErrKicked refuses a seat to an account the lobby's host kicked.
	ErrKicked = &wire.Error{Code: wire.CodeForbidden, Message: "the host removed you from this lobby"}
	// ErrNoSpectators refuses a spectator past Limits.MaxSpectators.
	ErrNoSpectators = &wire.Error{Code: wire.CodeLobbyFull, Message: "the lobby has no room for more spectators"}
)
