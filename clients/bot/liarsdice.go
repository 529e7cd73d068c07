package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/clients/goclient/liarsdice"
	"github.com/tickwire/tickwire/server/wire"
)

// diceMove is one Liar's Dice turn: a bid of count dice showing face, or a challenge.
type diceMove struct {
	challenge   bool
	count, face int
}

// chooseDiceMove is the bot's Liar's Dice: always legal, and a little better than chance. It
// expects each face among the dice it cannot see at their odds (a third of them for a face
// when ones are wild, a sixth when not), adds its own, and challenges a bid that expectation
// falls short of by more than one die (or by any, one time in four); otherwise it makes the
// raise that its expectation supports best, the lowest such count of each face.
func chooseDiceMove(s *liarsdice.State, rng *rand.Rand) diceMove {
	unseen := s.DiceInPlay() - len(s.Dice)
	odds := 1.0 / liarsdice.Faces
	if s.OnesWild {
		odds = 2.0 / liarsdice.Faces
	}
	expect := func(face int) float64 {
		n := 0
		for _, d := range s.Dice {
			if d == face || s.OnesWild && d == 1 {
				n++
			}
		}
		return float64(n) + float64(unseen)*odds
	}
	b, hasBid := s.Bid()
	if hasBid {
		short := float64(b.Count) - expect(b.Face)
		if short > 1 || short > 0 && rng.IntN(4) == 0 {
			return diceMove{challenge: true}
		}
	}
	best, margin := diceMove{}, 0.0
	for face := s.MinFace(); face <= liarsdice.Faces; face++ {
		count := 1
		if hasBid {
			count = b.Count
			if face <= b.Face {
				count++
			}
		}
		if !s.Raises(count, face) {
			continue
		}
		if m := expect(face) - float64(count); best.count == 0 || m > margin {
			best, margin = diceMove{count: count, face: face}, m
		}
	}
	if best.count == 0 {
		return diceMove{challenge: true} // no raise is left
	}
	return best
}

// onDiceSnapshot plays the bot's turn when a snapshot says it is the bot's, once per bid.
// Called with mu held.
func (b *bot) onDiceSnapshot(d []byte) {
	s, err := liarsdice.Decode(d)
	if err != nil {
		b.run.counters.errors.Add(1)
		return
	}
	bid, _ := s.Bid()
	key := fmt.Sprint(s.Hand, bid)
	if s.Turn == 0 || s.Turn != b.player || s.Winner != 0 || key == b.diceActed {
		return
	}
	b.diceActed = key
	m := chooseDiceMove(&s, b.rng)
	b.seq++
	b.sentAt[b.seq%64] = time.Now()
	if m.challenge {
		err = liarsdice.SendChallenge(b.conn, b.seq)
	} else {
		err = liarsdice.SendBid(b.conn, b.seq, m.count, m.face)
	}
	if err != nil && !errors.Is(err, goclient.ErrConnectionLost) {
		b.run.counters.errors.Add(1)
	}
}

// watchRefusals counts the error frames a Liar's Dice bot gets: its inputs are refused only
// when it bid against the rules.
func (b *bot) watchRefusals() {
	for env := range b.conn.Other() {
		if env.T == wire.TypeError {
			b.run.counters.errors.Add(1)
			var e wire.Error
			_ = wire.DecodePayload(env.D, &e)
			b.run.logf("input refused: %s: %s", e.Code, e.Message)
		}
	}
}
