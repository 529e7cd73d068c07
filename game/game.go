package game

import (
	"errors"
	"time"
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

// Error is an engine failure with a code the socket layer can send in an error frame.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes.
const (
	CodeNotFound       = "not_found"
	CodeLobbyFull      = "lobby_full"
	CodeNotInLobby     = "not_in_lobby"
	CodeAlreadyInLobby = "already_in_lobby"
	CodeForbidden      = "forbidden"
	CodeInvalidRequest = "invalid_request"
	CodeRefused        = "refused"
	CodeClosed         = "lobby_closed"
)

// Errors.
var (
	ErrNotFound   = &Error{CodeNotFound, "no such lobby"}
	ErrLobbyFull  = &Error{CodeLobbyFull, "the lobby is full"}
	ErrNotHost    = &Error{CodeForbidden, "only the lobby's host may do that"}
	ErrClosed     = &Error{CodeClosed, "the lobby has closed"}
	ErrNotInLobby = &Error{CodeNotInLobby, "not in a lobby"}
	// ErrKicked refuses a seat to an account the lobby's host kicked.
	ErrKicked = &Error{CodeForbidden, "the host removed you from this lobby"}
	// ErrNoSpectators refuses a spectator past Limits.MaxSpectators.
	ErrNoSpectators = &Error{CodeLobbyFull, "the lobby has no room for more spectators"}
)

// IsCode reports whether err is an engine Error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
