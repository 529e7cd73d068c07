package game

import (
	"context"
	"sync/atomic"
	"time"
)

// Limits are the engine's bounds and timings. A zero field takes its default.
type Limits struct {
	// InputQueue bounds one seat's inputs waiting for the next tick; more are dropped and
	// counted in Stats.InputsDropped. Default 8.
	InputQueue int
	// InputBytes bounds the bytes of one seat's input messages waiting for the next tick; an
	// input past it is dropped and counted as a full queue's are. Games decode their own
	// inputs, so messages are kept as they came: this bounds what a seat may hold. Default
	// 2048.
	InputBytes int
	// MaxSnapshotRate bounds the snapshots a lobby sends a second, whatever its game's
	// snapshot rate and its tick rate: a lobby ticking faster sends a snapshot every few
	// ticks. Default MaxTickRate (no bound beyond the tick rate's).
	MaxSnapshotRate int
	// Grace is how long a dropped player's seat waits for a reconnect of the same account.
	// Default 30 s.
	Grace time.Duration
	// EmptyTimeout closes a lobby that has had no connected member for this long. Default 60 s.
	EmptyTimeout time.Duration
	// RoundPause is the pause between a finished round and the next. Default 5 s.
	RoundPause time.Duration
	// AutoStartPlayers is how many players a quick-join lobby waits for before it starts a
	// round on its own. Default 2.
	AutoStartPlayers int
	// MaxCatchUp is how many missed ticks a late lobby runs back to back to catch up; ticks
	// missed beyond it are skipped and counted in Stats.Skipped, so an overrun never spirals.
	// Default 3.
	MaxCatchUp int
	// MaxLobbies bounds the lobbies open at once. Default 10,000.
	MaxLobbies int
	// MaxLobbiesPerAccount bounds the lobbies one account has created that are still open.
	// Default 4.
	MaxLobbiesPerAccount int
	// MaxLobbiesPerAddr bounds the lobbies created from one client address that are still open
	// (CreateOptions.OwnerAddr). Default 32.
	MaxLobbiesPerAddr int
	// MaxSpectators bounds the spectators of one lobby. Default 16.
	MaxSpectators int
	// MaxListed bounds the lobbies one Registry.List returns: the first ones by name. Default 500.
	MaxListed int
}

// withDefaults returns l with every zero (or negative) field set to its default.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.InputQueue, 8)
	def(&l.InputBytes, 2048)
	def(&l.MaxSnapshotRate, MaxTickRate)
	defd(&l.Grace, 30*time.Second)
	defd(&l.EmptyTimeout, 60*time.Second)
	defd(&l.RoundPause, 5*time.Second)
	def(&l.AutoStartPlayers, 2)
	def(&l.MaxCatchUp, 3)
	def(&l.MaxLobbies, 10000)
	def(&l.MaxLobbiesPerAccount, 4)
	def(&l.MaxLobbiesPerAddr, 32)
	def(&l.MaxSpectators, 16)
	def(&l.MaxListed, 500)
	return l
}

// Stats are a lobby's counters, written by its loop and safe to read from any goroutine.
type Stats struct {
	Ticks         atomic.Uint64 // ticks run, caught-up ones included
	Skipped       atomic.Uint64 // ticks skipped by the overrun policy
	Late          atomic.Uint64 // ticks that started more than one period after they were due
	InputsDropped atomic.Uint64 // inputs refused because the seat's queue was full
	LastTickNanos atomic.Int64  // how long the last tick took
	LastLateNanos atomic.Int64  // how late the last tick started
}

// Totals are counters summed over lobbies, for metrics that name no lobby.
type Totals struct {
	Ticks, Skipped, Late, InputsDropped uint64
}

func (t *Totals) add(s *Stats) {
	t.Ticks += s.Ticks.Load()
	t.Skipped += s.Skipped.Load()
	t.Late += s.Late.Load()
	t.InputsDropped += s.InputsDropped.Load()
}

// Match is one finished round, for the record.
type Match struct {
	// Key names this round alone, in the whole cluster: a recording of a key recorded
	// already changes nothing, so a result delivered twice counts once.
	Key     string
	LobbyID string
	Game    string
	Started time.Time
	Ended   time.Time
	// Scores are those of the players seated when the round ended, best first.
	Scores []Score
}

// Codes is a set of join codes shared beyond one registry, such as a cluster's: a code one
// registry holds, no other may hand out.
type Codes interface {
	// Reserve claims code for the lobby with id lobby; false when another lobby holds it. It
	// may wait for a network round trip.
	Reserve(ctx context.Context, code, lobby string) (bool, error)
	// Release gives back the code of a lobby that closed. It must not block.
	Release(code string)
}

// Results records finished rounds; package store implements it.
type Results interface {
	RecordMatch(ctx context.Context, m Match) error
}
