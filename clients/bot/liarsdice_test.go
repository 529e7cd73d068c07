package main

import (
	"math/rand/v2"
	"testing"

	"github.com/tickwire/tickwire/clients/goclient/liarsdice"
)

// TestDiceMovesAreLegal: over many random tables, the bot challenges only a bid that stands and
// otherwise makes a raise the server would take.
func TestDiceMovesAreLegal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	challenges := 0
	for i := range 5000 {
		s := liarsdice.State{OnesWild: i%2 == 0}
		for id := uint32(1); id <= uint32(2+rng.IntN(5)); id++ {
			s.Players = append(s.Players, liarsdice.Player{ID: id, Dice: 1 + rng.IntN(5)})
		}
		for range s.Players[0].Dice {
			s.Dice = append(s.Dice, 1+rng.IntN(6))
		}
		if rng.IntN(5) > 0 {
			s.RawBid = []uint32{uint32(1 + rng.IntN(s.DiceInPlay())), uint32(s.MinFace() + rng.IntN(7-s.MinFace())), 2}
		}
		m := chooseDiceMove(&s, rng)
		_, hasBid := s.Bid()
		switch {
		case m.challenge && !hasBid:
			t.Fatalf("challenged no bid: %+v", s)
		case m.challenge:
			challenges++
		case !s.Raises(m.count, m.face):
			t.Fatalf("bid %d x %d does not raise on %+v", m.count, m.face, s)
		}
	}
	if challenges == 0 || challenges == 5000 {
		t.Errorf("%d challenges in 5000 turns", challenges)
	}
}
