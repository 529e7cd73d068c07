// Package liarsdice is Liar's Dice for 2 to 6 players, Tickwire's turn-based game with hidden
// information.
//
// # Rules
//
// A match starts with every seated player holding the same number of dice (option `dice`,
// default 5). Each hand, every player still in rolls their dice in secret: a player sees their
// own dice and only how many every other player holds. Players act in seat order. The opener
// bids a quantity and a face, "there are at least count dice showing face among all the dice in
// play"; each next player either raises the bid or challenges it. A raise names a higher count
// (any face), or the same count and a higher face. A challenge ends the hand: every die is
// revealed to everyone, and the dice showing the bid's face are counted. If there are at least
// count of them the bid stands and the challenger loses a die; otherwise the bidder loses one.
// The loser opens the next hand (or, if that was their last die, the next player still in). A
// player with no dice left is out; the last player holding dice wins.
//
// With option `ones_wild` (the default), a one counts as every face, and a bid names a face
// from 2 to 6; without it, ones are an ordinary face and a bid names a face from 1 to 6, ranked
// 1 lowest. A bid may not name more dice than are in play.
//
// Each turn is timed (option `turn_seconds`, default 30). A player who lets the time run out
// forfeits one die, as if they had lost a challenge, and the hand ends without a reveal: the
// next hand is rolled afresh and opened as after a challenge. The timer runs whether or not the
// player is connected: a player whose connection dropped keeps their seat for the server's
// grace period and loses dice to the timer while away.
//
// A player who leaves the match (on purpose, or because their grace ran out, or was kicked)
// is out: their dice are gone. If they held dice in the hand being played, that hand is void
// and a new one is rolled, opened by whoever was to act (or by the next player, if it was the
// leaver's turn).
//
// A player who takes a seat while a match is played waits for the next one; spectators watch
// and see no dice but those a challenge reveals.
//
// # Engine
//
// Liar's Dice plays in rounds (game.Rounds): a round is one match, started by the lobby's host
// or, in a quick lobby, by the engine; its results are the players' places, each scored by how
// many players they outlasted. Every seated player has a view of their own (their dice) and
// spectators share one; the engine encodes each once per snapshot. Game events: `roll` to one
// player with their dice for a new hand, `reveal` to everyone when a challenge ends a hand,
// `timeout` when a turn's time ran out and `out` when a player is out.
//
// The state and input layouts are in PROTOCOL.md, section "Liar's Dice".
package liarsdice

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tickwire/tickwire/game"
)

// Name is the game's registered name.
const Name = "liarsdice"

// The bounds of a match.
const (
	MinPlayers = 2
	MaxPlayers = 6
	// Faces is the number of faces of a die.
	Faces = 6
)

// The rates the game runs at: a turn-based game needs neither a fast simulation nor many
// snapshots; the turn timer shows tenths of a second and clients count down between snapshots.
const (
	TickRate     = 10
	SnapshotRate = 5
)

// Option names and defaults.
const (
	OptDice        = "dice"
	OptTurnSeconds = "turn_seconds"
	OptOnesWild    = "ones_wild"

	DefaultDice        = 5
	DefaultTurnSeconds = 30
)

// Definition returns Liar's Dice as the server lists and creates it.
func Definition() game.Definition {
	return game.Definition{
		Name: Name, DisplayName: "Liar's Dice",
		MinPlayers: MinPlayers, MaxPlayers: MaxPlayers,
		TickRate: TickRate, SnapshotRate: SnapshotRate,
		Options: []game.Option{
			{Name: OptDice, Type: game.OptionInt, Default: DefaultDice, Min: 1, Max: 10,
				Description: "dice each player starts a match with"},
			{Name: OptTurnSeconds, Type: game.OptionInt, Default: DefaultTurnSeconds, Min: 5, Max: 300,
				Description: "seconds a player has to bid or challenge; a player out of time loses a die"},
			{Name: OptOnesWild, Type: game.OptionBool, Default: true,
				Description: "ones count as every face, and no bid names them"},
		},
		New: func(c game.Config) (game.Game, error) { return New(c) },
	}
}

// rules are a match's options, read from the lobby's.
type rules struct {
	dice     int
	turn     time.Duration
	onesWild bool
}

// readRules reads the options New was given; a missing one takes its default.
func readRules(o game.Options) (rules, error) {
	r := rules{dice: DefaultDice, turn: DefaultTurnSeconds * time.Second, onesWild: true}
	if v, ok := o[OptDice]; ok {
		n, err := intOption(OptDice, v, 1, 10)
		if err != nil {
			return r, err
		}
		r.dice = n
	}
	if v, ok := o[OptTurnSeconds]; ok {
		n, err := intOption(OptTurnSeconds, v, 5, 300)
		if err != nil {
			return r, err
		}
		r.turn = time.Duration(n) * time.Second
	}
	if v, ok := o[OptOnesWild]; ok {
		b, ok := v.(bool)
		if !ok {
			return r, fmt.Errorf("option %s must be true or false", OptOnesWild)
		}
		r.onesWild = b
	}
	return r, nil
}

// intOption reads an integer option of whichever integer type the options carry.
func intOption(name string, v any, lo, hi int) (int, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		n = int64(min(x, 1<<62))
	case float64:
		if x != float64(int64(x)) {
			return 0, fmt.Errorf("option %s must be a whole number", name)
		}
		n = int64(x)
	default:
		return 0, fmt.Errorf("option %s must be a number", name)
	}
	if n < int64(lo) || n > int64(hi) {
		return 0, fmt.Errorf("option %s must be from %d to %d", name, lo, hi)
	}
	return int(n), nil
}

// player is a seat that plays (not a spectator).
type player struct {
	id         game.PlayerID
	acct, name string
	dice       []int // this hand's faces; len(dice) is how many the player holds
	playing    bool  // dealt into the match being played
	away       bool  // connection dropped, seat kept for the grace
}

// bid is a claim about all the dice in play.
type bid struct {
	count, face int
	by          game.PlayerID
}

// Reveal is what a challenge shows everyone: the hand's dice and how the challenge went. It is
// the `reveal` event's data and the state's `reveal` entry. Player ids are ints in the events'
// data because the msgpack library writes an int in its shortest form and a uint32 in five
// bytes.
type Reveal struct {
	Hand       int        `msgpack:"hand"`
	Count      int        `msgpack:"count"` // the challenged bid
	Face       int        `msgpack:"face"`
	Bidder     int        `msgpack:"bidder"`
	Challenger int        `msgpack:"challenger"`
	Actual     int        `msgpack:"actual"` // dice that showed the face (ones included when wild)
	Loser      int        `msgpack:"loser"`
	Dice       []HandDice `msgpack:"dice"` // every player's dice, in seat order
}

// HandDice is one player's dice in a reveal.
type HandDice struct {
	Player int   `msgpack:"player"`
	Dice   []int `msgpack:"dice"`
}

// Roll is the `roll` event's data: the dice a player holds for a new hand, sent to them alone.
type Roll struct {
	Hand int   `msgpack:"hand"`
	Dice []int `msgpack:"dice"`
}

// PlayerEvent is the data of the `timeout` and `out` events: the player concerned, and for
// `out` why (`lost`, `timeout` or `left`).
type PlayerEvent struct {
	Player int    `msgpack:"player"`
	Reason string `msgpack:"reason,omitempty"`
}

// Game is one lobby's Liar's Dice.
type Game struct {
	rules rules
	rng   *rand.Rand
	out   game.Dispatcher

	players  []*player // in seat order, which is the order of play
	running  bool      // a match is being played
	over     bool      // the match has a winner (or could not go on)
	hand     int       // hands rolled in this match
	turn     int       // index in players of who acts; -1 when nobody does
	timeLeft time.Duration
	bid      bid // count 0: no bid yet this hand
	reveal   *Reveal
	winner   game.PlayerID
	// places are the match's players in the order they went out (the winner last).
	places   []game.Score
	starters int // players dealt into the match
}

var (
	_ game.Game        = (*Game)(nil)
	_ game.Rounds      = (*Game)(nil)
	_ game.Connections = (*Game)(nil)
)

// New makes a lobby's game. Its dice come from the lobby's seed alone, so the same seed and the
// same inputs play out the same.
func New(c game.Config) (*Game, error) {
	r, err := readRules(c.Options)
	if err != nil {
		return nil, err
	}
	out := c.Out
	if out == nil {
		out = discard{}
	}
	return &Game{rules: r, rng: rand.New(rand.NewPCG(c.Seed, 0xd1ce)), out: out, turn: -1}, nil
}

// discard is the Dispatcher of a game made without one (a rules test).
type discard struct{}

func (discard) Send([]game.PlayerID, string, any) {}
func (discard) Broadcast(string, any)             {}
func (discard) Finish([]game.Score)               {}
