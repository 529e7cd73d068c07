package goclient

import (
	"time"

	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// Player is one player in an arena snapshot.
type Player struct {
	//lint:ignore U1000 the tag tells msgpack to read this struct from an array
	_msgpack struct{} `msgpack:",as_array"`
	ID       uint32
	X, Y     float32
	VX, VY   float32
	Score    int
}

// Coin is one coin in an arena snapshot.
type Coin struct {
	//lint:ignore U1000 the tag tells msgpack to read this struct from an array
	_msgpack struct{} `msgpack:",as_array"`
	ID       uint32
	X, Y     float32
}

// Snapshot is one tick of the lobby, as the default game (arena) describes it.
type Snapshot struct {
	Tick    uint64   `msgpack:"tick"`
	Ack     uint32   `msgpack:"ack"`
	W       float32  `msgpack:"w"`
	H       float32  `msgpack:"h"`
	RoundMS uint32   `msgpack:"round_ms"`
	Players []Player `msgpack:"players"`
	Coins   []Coin   `msgpack:"coins"`
	// Received is when the frame arrived.
	Received time.Time `msgpack:"-"`
}

// Player returns the player with id, if the snapshot holds one.
func (s *Snapshot) Player(id uint32) (Player, bool) {
	for _, p := range s.Players {
		if p.ID == id {
			return p, true
		}
	}
	return Player{}, false
}

// RawSnapshot is a snapshot still in its wire form, handed to Options.OnSnapshot. Tick and Ack
// are read already; the rest stays in D until asked for, so that a client that needs only a few
// fields per tick allocates nothing. D aliases the connection's read buffer: it is valid only
// during the call, and Decode or Player copy what they return.
type RawSnapshot struct {
	Tick uint64
	Ack  uint32
	// Received is when the frame arrived.
	Received time.Time
	// D is the snapshot's payload, a msgpack map.
	D []byte
}

// Decode decodes the whole snapshot as the arena describes it.
func (r *RawSnapshot) Decode() (Snapshot, error) {
	var s Snapshot
	if err := wire.Validate(r.D, wire.Limits{}); err != nil {
		return Snapshot{}, err
	}
	if err := msgpack.Unmarshal(r.D, &s); err != nil {
		return Snapshot{}, err
	}
	s.Received = r.Received
	return s, nil
}

// Player finds the arena player with id without decoding the rest of the snapshot.
func (r *RawSnapshot) Player(id uint32) (Player, bool) {
	s := wire.NewReader(r.D)
	for n := s.MapLen(); n > 0 && s.Err() == nil; n-- {
		if string(s.Str()) != "players" {
			s.Skip()
			continue
		}
		for m := s.ArrayLen(); m > 0 && s.Err() == nil; m-- {
			k := s.ArrayLen()
			if k >= 6 && uint32(s.Uint()) == id {
				p := Player{ID: id}
				p.X, p.Y, p.VX, p.VY = s.Float32(), s.Float32(), s.Float32(), s.Float32()
				p.Score = int(s.Int())
				return p, s.Err() == nil
			}
			if k >= 6 {
				k-- // the id, read
			}
			for ; k > 0 && s.Err() == nil; k-- {
				s.Skip()
			}
		}
		return Player{}, false
	}
	return Player{}, false
}
