package game

import (
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// PlayerID names a seat in a lobby; it is stable across a reconnect within the grace period.
type PlayerID uint32

// Input is one player command, decoded by the socket layer. Seq comes back as the snapshot's
// ack once the engine has applied it. DX and DY are clamped to [-1, 1].
type Input struct {
	Seq     uint32
	DX, DY  float32
	Buttons uint32
}

// Player is a seat as a Game sees it.
type Player struct {
	ID        PlayerID
	AccountID string
	Name      string
}

// Score is one player's result.
type Score struct {
	Player    PlayerID
	AccountID string
	Name      string
	Score     int
}

// Game is one game's rules and state. The engine calls every method from the lobby's goroutine,
// so a Game needs no locks. A new game implements it in its own folder and registers a
// Factory; nothing else changes.
type Game interface {
	// Accept reports whether p may take a seat now; an error refuses the join with its text.
	Accept(p Player) error
	// Join seats p; Leave removes it (its seat's grace period is over).
	Join(p Player)
	Leave(id PlayerID)
	// Apply applies one input of player id; inputs arrive in the order they were received.
	Apply(id PlayerID, in Input)
	// StartRound begins a round with the players seated now.
	StartRound()
	// Step advances the game by one tick of length dt.
	Step(dt time.Duration)
	// WriteState writes the state every member sees, one w.Field per entry. It is called once
	// per tick; what it writes is encoded once and shared by every member's snapshot.
	WriteState(w *StateWriter)
	// RoundOver reports whether the running round has ended.
	RoundOver() bool
	// Scores returns the round's scores, best first.
	Scores() []Score
}

// Config is what a lobby tells its game at creation.
type Config struct {
	TickRate   int
	MaxPlayers int
	Seed       uint64
}

// Factory makes a game for a new lobby.
type Factory func(Config) Game

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
