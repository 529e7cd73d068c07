// Package arena is Tickwire's default game: players move about a walled 2-D arena, push each
// other apart and race to collect the coins the server spawns before the round's time runs out.
//
// It implements game.Game and imports nothing of Tickwire's but package game. Every method is
// called from its lobby's goroutine; none allocates in steady state.
package arena

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tickwire/tickwire/game"
)

// Name is the game's registered name.
const Name = "arena"

// Rules are the arena's tunables. A zero field takes its value from DefaultRules.
type Rules struct {
	Width, Height float32       // arena size, units
	PlayerRadius  float32       // units
	Speed         float32       // units per second at full input
	CoinRadius    float32       // units
	MaxCoins      int           // coins on the field at once
	CoinEvery     time.Duration // one coin spawns this often while below MaxCoins
	RoundLength   time.Duration
}

// DefaultRules are the rules of a standard round.
var DefaultRules = Rules{
	Width: 800, Height: 600, PlayerRadius: 16, Speed: 220,
	CoinRadius: 8, MaxCoins: 12, CoinEvery: 500 * time.Millisecond, RoundLength: 60 * time.Second,
}

// MaxPlayers is the most players one arena seats.
const MaxPlayers = 64

func (r Rules) withDefaults() Rules {
	d := DefaultRules
	pos := func(v *float32, def float32) {
		if *v <= 0 {
			*v = def
		}
	}
	pos(&r.Width, d.Width)
	pos(&r.Height, d.Height)
	pos(&r.PlayerRadius, d.PlayerRadius)
	pos(&r.Speed, d.Speed)
	pos(&r.CoinRadius, d.CoinRadius)
	if r.MaxCoins <= 0 {
		r.MaxCoins = d.MaxCoins
	}
	if r.CoinEvery <= 0 {
		r.CoinEvery = d.CoinEvery
	}
	if r.RoundLength <= 0 {
		r.RoundLength = d.RoundLength
	}
	return r
}

type player struct {
	id     game.PlayerID
	name   string
	acct   string
	x, y   float32
	px, py float32 // where the player was when the tick began
	vx, vy float32 // units per second over the last tick, collisions included
	dx, dy float32 // the last input, held until the next one
	score  int
}

type coin struct {
	id   uint32
	x, y float32
}

// Arena is one lobby's game.
type Arena struct {
	rules     Rules
	rng       *rand.Rand
	players   []*player
	coins     []coin
	nextCoin  uint32
	running   bool
	over      bool
	remaining time.Duration
	sinceCoin time.Duration
}

// Definition is the arena under r as a server registers it: 1 to MaxPlayers players, the
// server's default tick rate, a snapshot every tick, no create options.
func Definition(r Rules) game.Definition {
	return game.Definition{
		Name: Name, DisplayName: "Arena", MinPlayers: 1, MaxPlayers: MaxPlayers,
		New: func(c game.Config) (game.Game, error) { return New(r, c), nil },
	}
}

// New returns the arena of a lobby configured by c under r. Its randomness (spawn points,
// coins) comes from the lobby's seed alone, so the same seed and the same inputs play out the
// same.
func New(r Rules, c game.Config) *Arena {
	return &Arena{rules: r.withDefaults(), rng: rand.New(rand.NewPCG(c.Seed, 0x7ac3))}
}

var (
	_ game.Game   = (*Arena)(nil)
	_ game.Rounds = (*Arena)(nil)
)

// errFull refuses a join past what the arena's rules can seat.
var errFull = errors.New("the arena is full")

// Join places a player at a free spot while there is room for one more disc; spectators only
// watch, and any number may.
func (a *Arena) Join(p game.Player) error {
	if p.Spectator {
		return nil
	}
	if len(a.players) >= MaxPlayers {
		return errFull
	}
	x, y := a.freeSpot(a.rules.PlayerRadius)
	np := &player{id: p.ID, name: p.Name, acct: p.AccountID, x: x, y: y}
	if n := len(a.players); n > 0 && a.players[n-1].id > p.ID {
		// Not a lobby's numbering: keep the order find relies on.
		i, _ := slices.BinarySearchFunc(a.players, p.ID, func(q *player, id game.PlayerID) int { return cmp.Compare(q.id, id) })
		a.players = slices.Insert(a.players, i, np)
		return nil
	}
	a.players = append(a.players, np)
	return nil
}

// Leave removes the player, whether it meant to go or not.
func (a *Arena) Leave(id game.PlayerID, _ bool) {
	a.players = slices.DeleteFunc(a.players, func(p *player) bool { return p.id == id })
}

// Input sets the player's steering until its next input: dx and dy, numbers clamped to [-1, 1]
// (NaN reads as 0), and b, the buttons, an unsigned integer below 2^32; nil reads as 0 and
// other keys (seq among them) are skipped.
func (a *Arena) Input(id game.PlayerID, msg []byte) error {
	dx, dy, err := decodeInput(msg)
	if err != nil {
		return err
	}
	if p := a.find(id); p != nil {
		p.dx, p.dy = dx, dy
	}
	return nil
}

// find returns the player with id, or nil. Players are kept in join order, which is the order
// of their ids (a lobby numbers seats upwards), so a binary search finds one: a tick's inputs
// cost n log n, not n squared.
func (a *Arena) find(id game.PlayerID) *player {
	lo, hi := 0, len(a.players)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch p := a.players[m]; {
		case p.id == id:
			return p
		case p.id < id:
			lo = m + 1
		default:
			hi = m
		}
	}
	return nil
}

// errButtons refuses buttons that are not an unsigned integer below 2^32.
var errButtons = errors.New("b must be an unsigned integer below 2^32")

// decodeInput reads an input message's steering. The buttons are checked though the arena
// uses none yet.
func decodeInput(msg []byte) (dx, dy float32, err error) {
	if dx, dy, ok := decodePlain(msg); ok {
		return dx, dy, nil
	}
	return decodeFields(msg)
}

// decodeFields reads any input message through game.Fields.
func decodeFields(msg []byte) (dx, dy float32, err error) {
	f := game.NewFields(msg)
	for f.Next() {
		switch f.Key() {
		case "dx":
			dx = unit(f.Float32())
		case "dy":
			dy = unit(f.Float32())
		case "b":
			if f.Uint() > math.MaxUint32 {
				return 0, 0, errButtons
			}
		default:
			f.Skip()
		}
	}
	if err := f.Err(); err != nil {
		return 0, 0, err
	}
	return dx, dy, nil
}

// decodePlain reads an input in the forms clients send, the one the arena sees every tick from
// every player, in a single pass: a small map of short keys whose values are small unsigned
// integers (seq, b) and float32, float64 or small integers (dx, dy). It reports false for
// anything else, which game.Fields reads; what it takes, Fields reads the same.
func decodePlain(msg []byte) (dx, dy float32, ok bool) {
	if len(msg) == 0 || msg[0]&0xf0 != 0x80 {
		return 0, 0, false
	}
	off := 1
	for n := int(msg[0] & 0x0f); n > 0; n-- {
		if off >= len(msg) || msg[off]&0xe0 != 0xa0 {
			return 0, 0, false
		}
		kl := int(msg[off] & 0x1f)
		if off+1+kl >= len(msg) {
			return 0, 0, false
		}
		key := msg[off+1 : off+1+kl]
		off += 1 + kl
		c := msg[off]
		switch string(key) {
		case "dx", "dy":
			var v float32
			switch {
			case c == 0xca && off+5 <= len(msg):
				v = math.Float32frombits(binary.BigEndian.Uint32(msg[off+1:]))
				off += 5
			case c == 0xcb && off+9 <= len(msg):
				v = float32(math.Float64frombits(binary.BigEndian.Uint64(msg[off+1:])))
				off += 9
			case c <= 0x7f:
				v = float32(c)
				off++
			case c >= 0xe0:
				v = float32(int8(c))
				off++
			default:
				return 0, 0, false
			}
			if key[1] == 'x' {
				dx = unit(v)
			} else {
				dy = unit(v)
			}
		case "seq", "b":
			switch {
			case c <= 0x7f:
				off++
			case c == 0xcc && off+2 <= len(msg):
				off += 2
			case c == 0xcd && off+3 <= len(msg):
				off += 3
			case c == 0xce && off+5 <= len(msg):
				off += 5
			default:
				return 0, 0, false
			}
		default:
			return 0, 0, false
		}
	}
	return dx, dy, off == len(msg)
}

// unit clamps v to [-1, 1], and NaN to 0.
func unit(v float32) float32 {
	switch {
	case v != v: // NaN
		return 0
	case v < -1:
		return -1
	case v > 1:
		return 1
	}
	return v
}

// ViewOf gives every member the same view: the arena hides nothing.
func (a *Arena) ViewOf(game.Player) game.View { return 0 }

// StartRound resets scores and coins and starts the clock.
func (a *Arena) StartRound() {
	a.running, a.over = true, false
	a.remaining = a.rules.RoundLength
	a.coins = a.coins[:0]
	a.sinceCoin = 0
	for _, p := range a.players {
		p.score = 0
		p.x, p.y = a.freeSpot(a.rules.PlayerRadius)
	}
}

// RoundOver reports whether the round's time ran out.
func (a *Arena) RoundOver() bool { return a.over }

// Scores returns the round's scores, best first.
func (a *Arena) Scores() []game.Score {
	out := make([]game.Score, len(a.players))
	for i, p := range a.players {
		out[i] = game.Score{Player: p.id, AccountID: p.acct, Name: p.name, Score: p.score}
	}
	slices.SortStableFunc(out, func(x, y game.Score) int { return cmp.Compare(y.Score, x.Score) })
	return out
}

// Tick moves every player, resolves collisions, spawns and collects coins and runs the clock.
func (a *Arena) Tick(t *game.Tick) { a.Step(t.DT) }

// Step advances the arena by dt, as Tick does.
func (a *Arena) Step(dt time.Duration) {
	sec := float32(dt.Seconds())
	r := a.rules.PlayerRadius
	for _, p := range a.players {
		p.px, p.py = p.x, p.y
		dx, dy := p.dx, p.dy
		if l := dx*dx + dy*dy; l > 1 { // diagonal input is no faster than straight
			n := float32(math.Sqrt(float64(l)))
			dx, dy = dx/n, dy/n
		}
		p.x = clamp(p.x+dx*a.rules.Speed*sec, r, a.rules.Width-r)
		p.y = clamp(p.y+dy*a.rules.Speed*sec, r, a.rules.Height-r)
	}
	a.separate()
	for _, p := range a.players {
		p.vx, p.vy = 0, 0
		if sec > 0 {
			p.vx, p.vy = (p.x-p.px)/sec, (p.y-p.py)/sec
		}
	}
	if !a.running {
		return
	}
	a.sinceCoin += dt
	for a.sinceCoin >= a.rules.CoinEvery {
		a.sinceCoin -= a.rules.CoinEvery
		if len(a.coins) < a.rules.MaxCoins {
			x, y := a.freeSpot(a.rules.CoinRadius)
			a.nextCoin++
			a.coins = append(a.coins, coin{id: a.nextCoin, x: x, y: y})
		}
	}
	a.collect()
	a.remaining -= dt
	if a.remaining <= 0 {
		a.remaining = 0
		a.running, a.over = false, true
	}
}

// collect gives each coin within reach of a player to the first such player in join order.
func (a *Arena) collect() {
	reach := a.rules.PlayerRadius + a.rules.CoinRadius
	kept := a.coins[:0]
	for _, c := range a.coins {
		taken := false
		for _, p := range a.players {
			if dist2(p.x, p.y, c.x, c.y) <= reach*reach {
				p.score++
				taken = true
				break
			}
		}
		if !taken {
			kept = append(kept, c)
		}
	}
	a.coins = kept
}

// separate pushes overlapping players apart, half each, then back inside the walls.
func (a *Arena) separate() {
	r := a.rules.PlayerRadius
	for i, p := range a.players {
		for _, q := range a.players[i+1:] {
			d2 := dist2(p.x, p.y, q.x, q.y)
			if d2 >= 4*r*r {
				continue
			}
			d := float32(math.Sqrt(float64(d2)))
			nx, ny := float32(1), float32(0)
			if d > 1e-4 {
				nx, ny = (q.x-p.x)/d, (q.y-p.y)/d
			}
			push := (2*r - d) / 2
			p.x, p.y = p.x-nx*push, p.y-ny*push
			q.x, q.y = q.x+nx*push, q.y+ny*push
		}
	}
	for _, p := range a.players {
		p.x = clamp(p.x, r, a.rules.Width-r)
		p.y = clamp(p.y, r, a.rules.Height-r)
	}
}

// WriteState writes the arena's state, the same for every view: w and h, round_ms left in the
// running round (0 when none runs), players as [id, x, y, vx, vy, score] and coins as
// [id, x, y].
func (a *Arena) WriteState(_ game.View, w *game.StateWriter) {
	w.Key("w")
	w.Float32(a.rules.Width)
	w.Key("h")
	w.Float32(a.rules.Height)
	w.Key("round_ms")
	w.Uint(uint64(a.remaining / time.Millisecond))
	w.Key("players")
	w.ArrayLen(len(a.players))
	for _, p := range a.players {
		w.ArrayLen(6)
		w.Uint(uint64(p.id))
		w.Float32(p.x)
		w.Float32(p.y)
		w.Float32(p.vx)
		w.Float32(p.vy)
		w.Int(int64(p.score))
	}
	w.Key("coins")
	w.ArrayLen(len(a.coins))
	for _, c := range a.coins {
		w.ArrayLen(3)
		w.Uint(uint64(c.id))
		w.Float32(c.x)
		w.Float32(c.y)
	}
}

// freeSpot picks a random point at least radius from the walls, preferring one clear of players.
func (a *Arena) freeSpot(radius float32) (float32, float32) {
	var x, y float32
	for range 16 {
		x = radius + a.rng.Float32()*(a.rules.Width-2*radius)
		y = radius + a.rng.Float32()*(a.rules.Height-2*radius)
		clear := true
		for _, p := range a.players {
			lim := a.rules.PlayerRadius + radius
			if dist2(p.x, p.y, x, y) < lim*lim {
				clear = false
				break
			}
		}
		if clear {
			break
		}
	}
	return x, y
}

func clamp(v, lo, hi float32) float32 { return max(lo, min(v, hi)) }

func dist2(x1, y1, x2, y2 float32) float32 { return (x1-x2)*(x1-x2) + (y1-y2)*(y1-y2) }

// AppendInput appends an arena input message, the d of an input frame, to b: a map of seq, dx
// and dy, and b when buttons is not zero. It is what clients send and tests feed the engine.
func AppendInput(b []byte, seq uint32, dx, dy float32, buttons uint32) []byte {
	n := byte(3)
	if buttons != 0 {
		n++
	}
	b = append(b, 0x80|n, 0xa3, 's', 'e', 'q', 0xce)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, 0xa2, 'd', 'x', 0xca)
	b = binary.BigEndian.AppendUint32(b, math.Float32bits(dx))
	b = append(b, 0xa2, 'd', 'y', 0xca)
	b = binary.BigEndian.AppendUint32(b, math.Float32bits(dy))
	if buttons != 0 {
		b = append(b, 0xa1, 'b', 0xce)
		b = binary.BigEndian.AppendUint32(b, buttons)
	}
	return b
}
