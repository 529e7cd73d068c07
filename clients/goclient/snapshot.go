package goclient

import (
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// Snapshot is one snapshot of the lobby: its tick and ack, and the game's state for this seat's
// view in its wire form. A game's own client package decodes State (clients/goclient/arena for
// the arena), so that this package knows no game.
type Snapshot struct {
	Tick uint64
	Ack  uint32
	// State is the snapshot's whole payload, a msgpack map: tick and ack, then the game's
	// entries. It has passed wire.Validate, so any msgpack decoder may read it, and it is the
	// snapshot's own copy.
	State []byte
	// Received is when the frame arrived.
	Received time.Time
}

// RawSnapshot is a snapshot still in its wire form, handed to Options.OnSnapshot. Tick and Ack
// are read already; the rest stays in D until asked for, so that a client that needs only a few
// fields per tick allocates nothing (clients/goclient/arena reads one player's row in place).
// D aliases the connection's read buffer: it is valid only during the call, and Decode copies
// it.
type RawSnapshot struct {
	Tick uint64
	Ack  uint32
	// Received is when the frame arrived.
	Received time.Time
	// D is the snapshot's payload, a msgpack map, not validated.
	D []byte
}

// Decode validates the snapshot's payload and returns the snapshot with a copy of it.
func (r *RawSnapshot) Decode() (Snapshot, error) {
	if err := wire.Validate(r.D, wire.Limits{}); err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Tick: r.Tick, Ack: r.Ack, State: append([]byte(nil), r.D...), Received: r.Received}, nil
}
