// Package liarsdice is the client side of Liar's Dice for the Go SDK: it decodes the game's
// snapshot state and events and builds its inputs, a bid or a challenge. The layouts are in
// PROTOCOL.md, section "Liar's Dice".
//
// It imports nothing of Tickwire's but the SDK and server/wire, so a bot built on it depends on
// the protocol alone.
package liarsdice

import (
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// Name is the game's name in the server's catalog, for create and quick join.
const Name = "liarsdice"

// Faces is the number of faces of a die.
const Faces = 6

// State is one snapshot of a Liar's Dice table as one member sees it.
type State struct {
	Tick     uint64   `msgpack:"tick"`
	Ack      uint32   `msgpack:"ack"`
	Hand     int      `msgpack:"hand"`      // hands rolled in this match, 0 before the first
	OnesWild bool     `msgpack:"ones_wild"` // ones count as every face, and are never bid
	Players  []Player `msgpack:"players"`   // in seat order, the order of play
	Turn     uint32   `msgpack:"turn"`      // the player to act, 0 when nobody is
	TurnMS   uint32   `msgpack:"turn_ms"`   // milliseconds left to act
	RawBid   []uint32 `msgpack:"bid"`       // [count, face, bidder] or empty: see Bid
	Dice     []int    `msgpack:"dice"`      // your own dice this hand; empty for spectators
	Reveal   *Reveal  `msgpack:"reveal"`    // the match's last challenge, nil before the first
	Winner   uint32   `msgpack:"winner"`    // the match's winner, 0 until there is one
}

// Player is one seated player: how many dice they hold (0 when out of the match or waiting for
// the next) and whether their connection is down.
type Player struct {
	//lint:ignore U1000 the tag tells msgpack to read this struct from an array
	_msgpack struct{} `msgpack:",as_array"`
	ID       uint32
	Dice     int
	Away     bool
}

// Bid is a claim that at least Count dice show Face.
type Bid struct {
	Count, Face int
	Bidder      uint32
}

// Reveal is what a challenge showed everyone: the state's `reveal` and the `reveal` event.
type Reveal struct {
	Hand       int        `msgpack:"hand"`
	Count      int        `msgpack:"count"`
	Face       int        `msgpack:"face"`
	Bidder     uint32     `msgpack:"bidder"`
	Challenger uint32     `msgpack:"challenger"`
	Actual     int        `msgpack:"actual"` // dice that showed the face, ones included when wild
	Loser      uint32     `msgpack:"loser"`
	Dice       []HandDice `msgpack:"dice"`
}

// HandDice is one player's dice in a reveal.
type HandDice struct {
	Player uint32 `msgpack:"player"`
	Dice   []int  `msgpack:"dice"`
}

// Roll is the `roll` event's data: your dice for a new hand, sent to you alone.
type Roll struct {
	Hand int   `msgpack:"hand"`
	Dice []int `msgpack:"dice"`
}

// PlayerEvent is the data of the `timeout` and `out` events.
type PlayerEvent struct {
	Player uint32 `msgpack:"player"`
	Reason string `msgpack:"reason"` // `out`: lost, timeout or left
}

// Decode reads a snapshot's payload (the whole map, tick and ack included).
func Decode(d []byte) (State, error) {
	var s State
	if err := wire.Validate(d, wire.Limits{}); err != nil {
		return State{}, err
	}
	if err := msgpack.Unmarshal(d, &s); err != nil {
		return State{}, fmt.Errorf("liarsdice state: %w", err)
	}
	if n := len(s.RawBid); n != 0 && n != 3 {
		return State{}, fmt.Errorf("liarsdice state: a bid of %d numbers", n)
	}
	return s, nil
}

// Bid returns the bid standing this hand, if any.
func (s *State) Bid() (Bid, bool) {
	if len(s.RawBid) != 3 {
		return Bid{}, false
	}
	return Bid{Count: int(s.RawBid[0]), Face: int(s.RawBid[1]), Bidder: s.RawBid[2]}, true
}

// Player returns the seated player with id.
func (s *State) Player(id uint32) (Player, bool) {
	for _, p := range s.Players {
		if p.ID == id {
			return p, true
		}
	}
	return Player{}, false
}

// DiceInPlay counts the dice of the hand: no bid may name more.
func (s *State) DiceInPlay() int {
	n := 0
	for _, p := range s.Players {
		n += p.Dice
	}
	return n
}

// MinFace is the lowest face a bid may name.
func (s *State) MinFace() int {
	if s.OnesWild {
		return 2
	}
	return 1
}

// Raises reports whether count dice showing face is a legal bid now, as the server judges it.
func (s *State) Raises(count, face int) bool {
	if face < s.MinFace() || face > Faces || count < 1 || count > s.DiceInPlay() {
		return false
	}
	b, ok := s.Bid()
	return !ok || count > b.Count || count == b.Count && face > b.Face
}

// DecodeEvent decodes a game event's data into v (a *Reveal, *Roll or *PlayerEvent).
func DecodeEvent(data []byte, v any) error {
	if data == nil {
		return errors.New("liarsdice event: no data")
	}
	return msgpack.Unmarshal(data, v)
}

// AppendBid appends a bid's game fields (`bid: [count, face]`) to b as msgpack map entries and
// returns how many it wrote: what goclient.Conn.SendInput sends after seq.
func AppendBid(b []byte, count, face int) ([]byte, int) {
	b = wire.AppendString(b, "bid")
	b = wire.AppendArrayHeader(b, 2)
	b = wire.AppendInt(b, int64(count))
	b = wire.AppendInt(b, int64(face))
	return b, 1
}

// AppendChallenge appends a challenge's game fields (`challenge: true`) to b.
func AppendChallenge(b []byte) ([]byte, int) {
	b = wire.AppendString(b, "challenge")
	b = wire.AppendBool(b, true)
	return b, 1
}

// SendBid sends input seq on c: a bid of count dice showing face.
func SendBid(c *goclient.Conn, seq uint32, count, face int) error {
	var buf [24]byte
	fields, n := AppendBid(buf[:0], count, face)
	return c.SendInput(seq, n, fields)
}

// SendChallenge sends input seq on c: a challenge of the bid standing.
func SendChallenge(c *goclient.Conn, seq uint32) error {
	var buf [16]byte
	fields, n := AppendChallenge(buf[:0])
	return c.SendInput(seq, n, fields)
}

// EventData returns the data of game event e decoded into v (a *Reveal, *Roll or *PlayerEvent),
// or an error when e is not the game event name.
func EventData(e wire.Event, name string, v any) error {
	if e.Kind != wire.EventGame || e.Name != name {
		return fmt.Errorf("liarsdice: event %s %s is not %s", e.Kind, e.Name, name)
	}
	return DecodeEvent(e.Data, v)
}
