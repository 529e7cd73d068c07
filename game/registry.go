package game

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Bounds on what a lobby may be created with.
const (
	MinTickRate   = 1
	MaxTickRate   = 128
	MaxPlayersCap = 64
	MaxNameLen    = 48
)

// Registry holds the open lobbies and runs their loops. It is safe for concurrent use.
type Registry struct {
	// Games maps a game's name to its factory; Default names the one used when none is asked.
	Games    map[string]Factory
	Default  string
	TickRate int // default tick rate for new lobbies
	// DefaultMaxPlayers is the size of a lobby created without max_players. Default 8.
	DefaultMaxPlayers int
	Limits            Limits
	Clock             Clock
	Results           Results

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seq    atomic.Uint64

	mu     sync.Mutex
	byID   map[string]*Lobby
	byCode map[string]*Lobby
}

// Start prepares the registry; lobbies run until ctx ends or Close is called.
func (r *Registry) Start(ctx context.Context) {
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.byID = map[string]*Lobby{}
	r.byCode = map[string]*Lobby{}
	r.Limits = r.Limits.withDefaults()
	if r.Clock == nil {
		r.Clock = SystemClock{}
	}
	if r.DefaultMaxPlayers <= 0 {
		r.DefaultMaxPlayers = 8
	}
	if r.TickRate <= 0 {
		r.TickRate = 20
	}
}

// Close stops every lobby and waits for their loops.
func (r *Registry) Close() {
	r.cancel()
	r.wg.Wait()
}

// CreateOptions describe a new lobby; zero fields take the registry's defaults.
type CreateOptions struct {
	Name       string
	Game       string
	Private    bool
	MaxPlayers int
	TickRate   int
	// Quick marks a lobby made by quick join: it starts its rounds on its own.
	Quick bool
}

// Create opens a lobby and starts its loop.
func (r *Registry) Create(o CreateOptions) (*Lobby, error) {
	if o.Game == "" {
		o.Game = r.Default
	}
	factory, ok := r.Games[o.Game]
	if !ok {
		return nil, &Error{CodeInvalidRequest, fmt.Sprintf("no game named %q", o.Game)}
	}
	if o.TickRate == 0 {
		o.TickRate = r.TickRate
	}
	if o.TickRate < MinTickRate || o.TickRate > MaxTickRate {
		return nil, &Error{CodeInvalidRequest, fmt.Sprintf("tick_rate must be %d to %d", MinTickRate, MaxTickRate)}
	}
	if o.MaxPlayers == 0 {
		o.MaxPlayers = r.DefaultMaxPlayers
	}
	if o.MaxPlayers < 1 || o.MaxPlayers > MaxPlayersCap {
		return nil, &Error{CodeInvalidRequest, fmt.Sprintf("max_players must be 1 to %d", MaxPlayersCap)}
	}
	o.Name = strings.TrimSpace(o.Name)
	if len(o.Name) > MaxNameLen {
		return nil, &Error{CodeInvalidRequest, fmt.Sprintf("name must be at most %d bytes", MaxNameLen)}
	}
	n := r.seq.Add(1)
	if o.Name == "" {
		o.Name = fmt.Sprintf("Lobby %d", n)
	}
	l := &Lobby{
		id: newLobbyID(), name: o.Name, gameName: o.Game, private: o.Private,
		tickRate: o.TickRate, maxPlayers: o.MaxPlayers, limits: r.Limits, clock: r.Clock, results: r.Results,
		cmds: make(chan func()), done: make(chan struct{}), state: StateWaiting, stats: &Stats{}, sw: NewStateWriter(),
	}
	l.autoStart = o.Quick
	l.game = factory(Config{TickRate: o.TickRate, MaxPlayers: o.MaxPlayers, Seed: n})
	r.mu.Lock()
	if len(r.byID) >= r.Limits.MaxLobbies {
		r.mu.Unlock()
		return nil, &Error{CodeRefused, "the server has too many lobbies open; try again later"}
	}
	if o.Private {
		for {
			l.code = newJoinCode()
			if _, taken := r.byCode[l.code]; !taken {
				break
			}
		}
		r.byCode[l.code] = l
	}
	r.byID[l.id] = l
	r.mu.Unlock()
	l.onClose = r.remove
	l.publish()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		l.Run(r.ctx)
	}()
	return l, nil
}

func (r *Registry) remove(l *Lobby) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, l.id)
	if l.code != "" {
		delete(r.byCode, l.code)
	}
}

// Get returns the lobby with id.
func (r *Registry) Get(id string) (*Lobby, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byID[id]; ok {
		return l, nil
	}
	return nil, ErrNotFound
}

// ByCode returns the private lobby with a join code; codes are case-insensitive.
func (r *Registry) ByCode(code string) (*Lobby, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byCode[strings.ToUpper(strings.TrimSpace(code))]; ok {
		return l, nil
	}
	return nil, ErrNotFound
}

// QuickCandidates returns the public lobbies with a free seat, fullest first.
func (r *Registry) QuickCandidates() []*Lobby {
	r.mu.Lock()
	var out []*Lobby
	for _, l := range r.byID {
		if l.private {
			continue
		}
		s := l.Summary()
		if s.State != StateClosed && s.Players < s.MaxPlayers {
			out = append(out, l)
		}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b *Lobby) int {
		sa, sb := a.Summary(), b.Summary()
		if sa.Players != sb.Players {
			return sb.Players - sa.Players
		}
		return strings.Compare(a.id, b.id)
	})
	return out
}

// List returns the public lobbies, by name.
func (r *Registry) List() []Info {
	r.mu.Lock()
	out := make([]Info, 0, len(r.byID))
	for _, l := range r.byID {
		if !l.private {
			out = append(out, l.Summary())
		}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) })
	return out
}

// All returns every open lobby, for metrics.
func (r *Registry) All() []*Lobby {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Lobby, 0, len(r.byID))
	for _, l := range r.byID {
		out = append(out, l)
	}
	return out
}

// Stats returns the lobby's counters.
func (l *Lobby) Stats() *Stats { return l.stats }

func newLobbyID() string {
	return "l" + strings.ToLower(rand.Text()[:11])
}

// Join codes avoid letters and digits that read alike (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newJoinCode() string {
	b := make([]byte, 6)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b)
}
