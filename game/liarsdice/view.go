package liarsdice

import (
	"time"

	"github.com/tickwire/tickwire/game"
)

// spectators is the view every spectator shares: it holds no dice.
const spectators game.View = 0

// ViewOf gives every player a view of their own, named by their seat, and spectators one
// between them. Player ids start at 1, so no player's view is the spectators'.
func (g *Game) ViewOf(p game.Player) game.View {
	if p.Spectator {
		return spectators
	}
	return game.View(p.ID)
}

// WriteState writes what view v may see: the table for everyone, and the dice of the view's
// player alone.
//
//	hand      hands rolled in this match (0 before the first)
//	ones_wild whether ones are wild
//	players   [id, dice held, away] for every seated player in seat order (the order of play);
//	          dice held is 0 for a player out of the match or waiting for the next; once the
//	          match is over, the winner's last dice stay counted (and in their own view)
//	turn      the player to act, 0 when nobody is
//	turn_ms   milliseconds left to act
//	bid       [count, face, bidder], or [] before this hand's first bid
//	dice      the view's player's own dice this hand ([] for spectators and players without)
//	reveal    the last challenge of the match (a Reveal), nil before the first
//	winner    the match's winner, 0 until there is one
func (g *Game) WriteState(v game.View, w *game.StateWriter) {
	w.Key("hand")
	w.Uint(uint64(g.hand))
	_ = w.Field("ones_wild").EncodeBool(g.rules.onesWild)
	// The encoder goes on appending to the writer after the entry's key, so one Field holds
	// the whole array.
	enc := w.Field("players")
	_ = enc.EncodeArrayLen(len(g.players))
	var mine []int
	for _, p := range g.players {
		n := len(p.dice) // a winner keeps theirs on show until the next match

		_ = enc.EncodeArrayLen(3)
		_ = enc.EncodeUint(uint64(p.id))
		_ = enc.EncodeUint(uint64(n))
		_ = enc.EncodeBool(p.away)
		if v != spectators && game.View(p.id) == v {
			mine = p.dice
		}
	}
	w.Key("turn")
	if g.turn >= 0 {
		w.Uint(uint64(g.players[g.turn].id))
	} else {
		w.Uint(0)
	}
	w.Key("turn_ms")
	w.Uint(uint64(max(g.timeLeft, 0) / time.Millisecond))
	w.Key("bid")
	if g.bid.count > 0 {
		w.ArrayLen(3)
		w.Uint(uint64(g.bid.count))
		w.Uint(uint64(g.bid.face))
		w.Uint(uint64(g.bid.by))
	} else {
		w.ArrayLen(0)
	}
	w.Key("dice")
	w.ArrayLen(len(mine))
	for _, d := range mine {
		w.Uint(uint64(d))
	}
	_ = w.Field("reveal").Encode(g.reveal)
	w.Key("winner")
	w.Uint(uint64(g.winner))
}
