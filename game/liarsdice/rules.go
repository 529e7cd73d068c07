package liarsdice

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tickwire/tickwire/game"
)

// The refusals of inputs; the engine answers the socket `error invalid_request` with the text.
var (
	errNoMatch   = errors.New("no match is being played")
	errNotIn     = errors.New("you hold no dice in this match")
	errNotTurn   = errors.New("it is not your turn")
	errNoBid     = errors.New("there is no bid to challenge")
	errNotRaised = errors.New("a bid must raise the count, or keep the count and raise the face")
	errFull      = errors.New("the table is full")
)

// Join seats a player (who waits for the next match if one is being played) or a spectator.
func (g *Game) Join(p game.Player) error {
	if p.Spectator {
		return nil
	}
	if len(g.players) >= MaxPlayers {
		return errFull
	}
	g.players = append(g.players, &player{id: p.ID, acct: p.AccountID, name: p.Name})
	return nil
}

// Leave gives up a seat. A player leaving a match is out whether they meant to or not; if they
// held dice in the hand, the hand is void and rolled again.
func (g *Game) Leave(id game.PlayerID, consented bool) {
	i := g.index(id)
	if i < 0 {
		return // a spectator
	}
	p := g.players[i]
	inHand := g.running && !g.over && p.playing && len(p.dice) > 0
	if inHand {
		p.dice = p.dice[:0]
		g.eliminate(p, "left")
	}
	// Whoever was to act still acts after the removal: the index moves down when the leaver sat
	// before them; when the leaver was to act, the next player in seat order slides into the
	// index.
	turnWasLeaver := g.turn == i
	g.players = slices.Delete(g.players, i, i+1)
	if g.turn > i {
		g.turn--
	}
	if !inHand {
		return
	}
	if g.finishIfOne() {
		return
	}
	opener := g.turn
	if turnWasLeaver {
		opener = g.nextIn(g.turn - 1)
	}
	g.newHand(opener)
}

// Disconnected marks a player away; their turn timer keeps running.
func (g *Game) Disconnected(id game.PlayerID) {
	if i := g.index(id); i >= 0 {
		g.players[i].away = true
	}
}

// Reconnected marks a player back.
func (g *Game) Reconnected(id game.PlayerID) {
	if i := g.index(id); i >= 0 {
		g.players[i].away = false
	}
}

// StartRound starts a match with every player seated now.
func (g *Game) StartRound() {
	g.running, g.over = true, false
	g.hand, g.winner, g.reveal = 0, 0, nil
	g.places = g.places[:0]
	g.starters = len(g.players)
	for _, p := range g.players {
		p.playing = true
		p.dice = make([]int, g.rules.dice)
	}
	if g.finishIfOne() {
		return
	}
	g.newHand(g.rng.IntN(len(g.players)))
}

// RoundOver reports whether the match has ended.
func (g *Game) RoundOver() bool { return g.over }

// Scores returns the match's places, the winner first; each player scores how many players they
// outlasted. A match that never had two players has no result.
func (g *Game) Scores() []game.Score {
	if g.starters < MinPlayers {
		return nil
	}
	out := slices.Clone(g.places)
	slices.Reverse(out)
	return out
}

// Tick runs the turn's clock.
func (g *Game) Tick(t *game.Tick) {
	if !g.running || g.over || g.turn < 0 {
		return
	}
	g.timeLeft -= t.DT
	if g.timeLeft > 0 {
		return
	}
	p := g.players[g.turn]
	g.out.Broadcast("timeout", PlayerEvent{Player: int(p.id)})
	g.loseDie(g.turn, "timeout")
}

// Input applies one bid or challenge of player id.
func (g *Game) Input(id game.PlayerID, msg []byte) error {
	in, err := decodeInput(msg)
	if err != nil {
		return err
	}
	if !g.running || g.over {
		return errNoMatch
	}
	i := g.index(id)
	if i < 0 || !g.players[i].playing || len(g.players[i].dice) == 0 {
		return errNotIn
	}
	if i != g.turn {
		return errNotTurn
	}
	if in.challenge {
		if g.bid.count == 0 {
			return errNoBid
		}
		g.challenge(i)
		return nil
	}
	if err := g.checkBid(in.count, in.face); err != nil {
		return err
	}
	g.bid = bid{count: in.count, face: in.face, by: id}
	g.turn = g.nextIn(i)
	g.timeLeft = g.rules.turn
	return nil
}

// checkBid tells whether count dice showing face is a legal raise of the bid standing.
func (g *Game) checkBid(count, face int) error {
	lo := 1
	if g.rules.onesWild {
		lo = 2
	}
	if face < lo || face > Faces {
		return fmt.Errorf("a bid's face is from %d to %d", lo, Faces)
	}
	if total := g.diceInPlay(); count < 1 || count > total {
		return fmt.Errorf("a bid's count is from 1 to the %d dice in play", total)
	}
	if b := g.bid; b.count > 0 && (count < b.count || count == b.count && face <= b.face) {
		return errNotRaised
	}
	return nil
}

// challenge reveals the hand: the bidder or the challenger (player index c) loses a die.
func (g *Game) challenge(c int) {
	b := g.bid
	r := &Reveal{Hand: g.hand, Count: b.count, Face: b.face, Bidder: int(b.by), Challenger: int(g.players[c].id)}
	for _, p := range g.players {
		if !p.playing || len(p.dice) == 0 {
			continue
		}
		r.Dice = append(r.Dice, HandDice{Player: int(p.id), Dice: slices.Clone(p.dice)})
		for _, d := range p.dice {
			if d == b.face || g.rules.onesWild && d == 1 {
				r.Actual++
			}
		}
	}
	loser := c
	if r.Actual < b.count {
		loser = g.index(b.by)
	}
	r.Loser = int(g.players[loser].id)
	g.reveal = r
	g.out.Broadcast("reveal", r)
	g.loseDie(loser, "lost")
}

// loseDie takes a die from player index i, ends the hand and opens the next one (or ends the
// match).
func (g *Game) loseDie(i int, why string) {
	p := g.players[i]
	p.dice = p.dice[:len(p.dice)-1]
	opener := i
	if len(p.dice) == 0 {
		g.eliminate(p, why)
		opener = g.nextIn(i)
	}
	if g.finishIfOne() {
		return
	}
	g.newHand(opener)
}

// eliminate records p's place as the next one out.
func (g *Game) eliminate(p *player, why string) {
	g.places = append(g.places, game.Score{Player: p.id, AccountID: p.acct, Name: p.name, Score: len(g.places)})
	g.out.Broadcast("out", PlayerEvent{Player: int(p.id), Reason: why})
}

// finishIfOne ends the match when at most one player holds dice, and reports whether it did.
func (g *Game) finishIfOne() bool {
	var last *player
	n := 0
	for _, p := range g.players {
		if p.playing && len(p.dice) > 0 {
			n++
			last = p
		}
	}
	if n > 1 {
		return false
	}
	if last != nil {
		g.winner = last.id
		g.places = append(g.places, game.Score{Player: last.id, AccountID: last.acct, Name: last.name, Score: len(g.places)})
	}
	g.over, g.running = true, false
	g.turn, g.timeLeft, g.bid = -1, 0, bid{}
	for _, p := range g.players {
		p.playing = false
	}
	return true
}

// newHand rolls every playing player's dice and gives player index opener the first bid.
func (g *Game) newHand(opener int) {
	g.hand++
	g.bid = bid{}
	for _, p := range g.players {
		if !p.playing || len(p.dice) == 0 {
			continue
		}
		for k := range p.dice {
			p.dice[k] = 1 + g.rng.IntN(Faces)
		}
		g.out.Send([]game.PlayerID{p.id}, "roll", Roll{Hand: g.hand, Dice: slices.Clone(p.dice)})
	}
	g.turn = opener
	g.timeLeft = g.rules.turn
}

// nextIn returns the index of the first player after index i (in seat order, wrapping) who
// holds dice in the match; i may be -1.
func (g *Game) nextIn(i int) int {
	n := len(g.players)
	for k := 1; k <= n; k++ {
		j := ((i+k)%n + n) % n
		if p := g.players[j]; p.playing && len(p.dice) > 0 {
			return j
		}
	}
	return -1
}

// diceInPlay counts the dice of the hand.
func (g *Game) diceInPlay() int {
	n := 0
	for _, p := range g.players {
		if p.playing {
			n += len(p.dice)
		}
	}
	return n
}

func (g *Game) index(id game.PlayerID) int {
	return slices.IndexFunc(g.players, func(p *player) bool { return p.id == id })
}
