package arena

import (
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
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

// State is one arena snapshot decoded: PROTOCOL.md's Snapshot table.
type State struct {
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

// Decode decodes an arena snapshot.
func Decode(s goclient.Snapshot) (State, error) {
	var st State
	if err := msgpack.Unmarshal(s.State, &st); err != nil {
		return State{}, err
	}
	st.Received = s.Received
	return st, nil
}

// Player returns the player with id, if the snapshot holds one.
func (s *State) Player(id uint32) (Player, bool) {
	for _, p := range s.Players {
		if p.ID == id {
			return p, true
		}
	}
	return Player{}, false
}

// FindPlayer finds the player with id in a snapshot's payload (goclient.RawSnapshot's D)
// without decoding the rest of it, and allocates nothing. It is safe on any bytes.
func FindPlayer(d []byte, id uint32) (Player, bool) {
	s := wire.NewReader(d)
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
