package game

import (
	"cmp"
	"container/heap"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/wire"
)

// Bounds on what a lobby may be created with.
const (
	MinTickRate   = 1
	MaxTickRate   = 128
	MaxPlayersCap = 64
	MaxNameLen    = 48 // characters
)

// recordTimeout bounds how long recording one finished round may take.
const recordTimeout = 10 * time.Second

// Registry holds the open lobbies and runs their loops. It is safe for concurrent use.
type Registry struct {
	// Games are the games lobbies may play, by Definition.Name; Default names the one used
	// when a create asks for none, the first of Games when empty.
	Games    []Definition
	Default  string
	TickRate int // default tick rate for new lobbies whose game names none; zero means 20
	// DefaultMaxPlayers is the size of a lobby created without max_players. Default 8.
	DefaultMaxPlayers int
	Limits            Limits
	Clock             Clock   // nil means SystemClock
	Results           Results // nil: finished rounds are not recorded
	// Codes, when set, makes each private lobby's join code unique in that shared set too;
	// nil: codes are unique in this registry alone.
	Codes Codes
	Log   *slog.Logger
	// OnTick, when set, is told how long each tick took and how late it started, from the
	// lobby's loop: it must be quick and safe for concurrent use (a histogram's Observe).
	OnTick func(took, late time.Duration)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // lobby loops and results being recorded
	seq    atomic.Uint64

	// quickMu makes quick joins one at a time, so that two players arriving together fill one
	// lobby rather than each opening their own.
	quickMu sync.Mutex

	mu     sync.Mutex
	byID   map[string]*Lobby
	byCode map[string]*Lobby
	owned  map[string]int // open lobbies per creating account
	closed Totals         // the counters of lobbies that have closed

	ownedAddr map[string]int // open lobbies per creating client address

	games map[string]*Definition // Games by name, made by Start
}

// Game returns the definition of the game named name. It is the registry's one lookup of a
// game: create and every listing find games through it.
func (r *Registry) Game(name string) (*Definition, bool) {
	d, ok := r.games[name]
	return d, ok
}

// Start prepares the registry; lobbies run until ctx ends or Close is called.
func (r *Registry) Start(ctx context.Context) {
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.byID = map[string]*Lobby{}
	r.byCode = map[string]*Lobby{}
	r.owned = map[string]int{}
	r.ownedAddr = map[string]int{}
	r.Limits = r.Limits.withDefaults()
	if r.Clock == nil {
		r.Clock = SystemClock{}
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.DefaultMaxPlayers <= 0 {
		r.DefaultMaxPlayers = 8
	}
	if r.TickRate <= 0 {
		r.TickRate = 20
	}
	r.Games = slices.Clone(r.Games) // the defaults below are filled in the registry's own copy
	r.games = make(map[string]*Definition, len(r.Games))
	for i := range r.Games {
		d := &r.Games[i]
		if d.MinPlayers <= 0 {
			d.MinPlayers = 1
		}
		if d.MaxPlayers <= 0 || d.MaxPlayers > MaxPlayersCap {
			d.MaxPlayers = MaxPlayersCap
		}
		r.games[d.Name] = d
	}
	if r.Default == "" && len(r.Games) > 0 {
		r.Default = r.Games[0].Name
	}
}

// Close stops every lobby and waits for their loops and for the results being recorded.
func (r *Registry) Close() {
	r.cancel()
	r.wg.Wait()
}

// CreateOptions describe a new lobby; zero fields take the registry's defaults.
type CreateOptions struct {
	Name       string
	Game       string
	Private    bool // unlisted; joined by id or by the join code the lobby is given
	MaxPlayers int
	TickRate   int
	// Quick marks a lobby made by quick join: it has no host and starts its rounds on its own.
	Quick bool
	// Owner is the creating account, counted against Limits.MaxLobbiesPerAccount.
	Owner string
	// OwnerAddr is the creator's client address, counted against Limits.MaxLobbiesPerAddr, so
	// that making accounts does not multiply the lobbies one client may hold open.
	OwnerAddr string
	// Options are the game's create options as the request carried them; Create checks
	// them against the game's Definition.Options (CheckOptions).
	Options map[string]any
}

// check validates o and fills in its defaults; it returns o's game and options.
func (r *Registry) check(o *CreateOptions) (*Definition, Options, error) {
	bad := func(format string, a ...any) error {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: fmt.Sprintf(format, a...)}
	}
	if o.Game == "" {
		o.Game = r.Default
	}
	def, ok := r.Game(o.Game)
	if !ok {
		return nil, nil, bad("no game named %q", truncate(o.Game, 32))
	}
	rate := r.TickRate
	if def.TickRate > 0 {
		rate = min(max(def.TickRate, MinTickRate), MaxTickRate)
	}
	if o.TickRate == 0 {
		o.TickRate = rate
	}
	if o.TickRate < MinTickRate || o.TickRate > MaxTickRate {
		return nil, nil, bad("tick_rate must be %d to %d (Hz), or left out for %d", MinTickRate, MaxTickRate, rate)
	}
	size := min(max(r.DefaultMaxPlayers, def.MinPlayers), def.MaxPlayers)
	if o.MaxPlayers == 0 {
		o.MaxPlayers = size
	}
	if o.MaxPlayers < 1 || o.MaxPlayers > MaxPlayersCap {
		return nil, nil, bad("max_players must be 1 to %d, or left out for %d", MaxPlayersCap, size)
	}
	if o.MaxPlayers < def.MinPlayers || o.MaxPlayers > def.MaxPlayers {
		return nil, nil, bad("max_players must be %d to %d for %s, or left out for %d", def.MinPlayers, def.MaxPlayers, def.Name, size)
	}
	o.Name = strings.TrimSpace(o.Name)
	if !utf8.ValidString(o.Name) {
		return nil, nil, bad("name must be UTF-8 text")
	}
	if n := utf8.RuneCountInString(o.Name); n > MaxNameLen {
		return nil, nil, bad("name must be at most %d characters, not %d", MaxNameLen, n)
	}
	for _, c := range o.Name {
		if c != ' ' && !unicode.IsPrint(c) {
			return nil, nil, bad("name must be printable: no control or invisible characters")
		}
	}
	opts, err := CheckOptions(def.Options, o.Options)
	if err != nil {
		return nil, nil, err
	}
	return def, opts, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Create opens a lobby and starts its loop. When first is not nil it takes the first seat (and
// with it the host's place, unless the lobby is a quick one): until it has, the lobby seats no
// one else and is not listed. If that join fails, the lobby is closed again. The lobby can be
// found (and is listed, when public) by the time its first member hears it has joined.
func (r *Registry) Create(ctx context.Context, o CreateOptions, first Member) (*Lobby, Seat, Info, error) {
	def, opts, err := r.check(&o)
	if err != nil {
		return nil, Seat{}, Info{}, err
	}
	n := r.seq.Add(1)
	if o.Name == "" {
		o.Name = fmt.Sprintf("Lobby %d", n)
	}
	now := r.Clock.Now()
	period := time.Second / time.Duration(o.TickRate)
	l := &Lobby{
		id: newLobbyID(), name: o.Name, gameName: o.Game, owner: o.Owner, private: o.Private, quick: o.Quick,
		tickRate: o.TickRate, maxPlayers: o.MaxPlayers, period: period, limits: r.Limits, clock: r.Clock,
		record: r.recorder(), onClose: r.remove, onTick: r.OnTick, log: r.Log, minPlayers: def.MinPlayers,
		cmds: make(chan func()), done: make(chan struct{}),
		state: StateWaiting, next: firstTick(now, period), stateAt: now, emptySince: now, roundStart: now,
	}
	l.ownerAddr = o.OwnerAddr
	if o.Private && r.Codes != nil {
		if l.code, err = r.reserveCode(ctx, l.id); err != nil {
			return nil, Seat{}, Info{}, err
		}
	}
	if first != nil {
		l.awaitFirst = first.AccountID()
	}
	// A snapshot every snapEvery ticks: at most the game's rate, the tick rate and the
	// server's bound.
	snapRate := min(o.TickRate, r.Limits.MaxSnapshotRate)
	if def.SnapshotRate > 0 {
		snapRate = min(def.SnapshotRate, snapRate)
	}
	l.snapEvery = uint64((o.TickRate + snapRate - 1) / snapRate)
	snapRate = o.TickRate / int(l.snapEvery)
	g, err := def.New(Config{TickRate: o.TickRate, SnapshotRate: snapRate, MaxPlayers: o.MaxPlayers, Seed: n,
		Options: opts, Out: dispatcher{l}})
	if err != nil {
		r.releaseCode(l.code)
		return nil, Seat{}, Info{}, refusal(err, wire.CodeInvalidRequest)
	}
	l.game = g
	l.rounds, _ = g.(Rounds)
	l.conns, _ = g.(Connections)
	if l.rounds == nil {
		l.state = StateRunning // a game without rounds plays from its creation
	}
	// The lobby is found by id and code from here on, so that the creator's joined frame never
	// names a lobby that others cannot find yet.
	if err := r.register(l); err != nil {
		r.releaseCode(l.code)
		return nil, Seat{}, Info{}, err
	}
	l.publish()
	if first == nil {
		l.listed.Store(true)
	}
	// The first tick is due one period after creation, whenever the loop's goroutine starts.
	l.timer = r.Clock.NewTimerAt(l.next)
	lctx, stop := context.WithCancel(r.ctx)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer stop()
		l.Run(lctx)
	}()
	var seat Seat
	var info Info
	if first != nil {
		if seat, info, err = l.Join(ctx, first, false); err != nil {
			stop()
			<-l.done // gone from the registry before Create returns
			return nil, Seat{}, Info{}, err
		}
	}
	return l, seat, info, nil
}

// register counts l against the limits, gives a private lobby its join code and makes l
// found by id and code, though not yet listed.
func (r *Registry) register(l *Lobby) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byID) >= r.Limits.MaxLobbies {
		return &wire.Error{Code: wire.CodeRefused, Message: "the server has too many lobbies open; try again later"}
	}
	if l.owner != "" && r.owned[l.owner] >= r.Limits.MaxLobbiesPerAccount {
		return &wire.Error{Code: wire.CodeRefused, Message: fmt.Sprintf("you already have %d lobbies open; they close once empty", r.owned[l.owner])}
	}
	if l.ownerAddr != "" && r.ownedAddr[l.ownerAddr] >= r.Limits.MaxLobbiesPerAddr {
		return &wire.Error{Code: wire.CodeRefused, Message: fmt.Sprintf("your address already has %d lobbies open; they close once empty", r.ownedAddr[l.ownerAddr])}
	}
	if l.private {
		// A code reserved in r.Codes is this lobby's alone; any other is drawn here.
		for l.code == "" || r.byCode[l.code] != nil {
			l.code = newJoinCode()
		}
		r.byCode[l.code] = l
	}
	if l.owner != "" {
		r.owned[l.owner]++
	}
	if l.ownerAddr != "" {
		r.ownedAddr[l.ownerAddr]++
	}
	r.byID[l.id] = l
	return nil
}

// remove forgets a lobby whose loop has stopped.
func (r *Registry) remove(l *Lobby) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID[l.id] != l {
		return
	}
	delete(r.byID, l.id)
	r.closed.add(&l.stats)
	if l.code != "" {
		delete(r.byCode, l.code)
		r.releaseCode(l.code)
	}
	if l.owner != "" {
		if r.owned[l.owner]--; r.owned[l.owner] <= 0 {
			delete(r.owned, l.owner)
		}
	}
	if l.ownerAddr != "" {
		if r.ownedAddr[l.ownerAddr]--; r.ownedAddr[l.ownerAddr] <= 0 {
			delete(r.ownedAddr, l.ownerAddr)
		}
	}
}

// reserveTries bounds the codes drawn for one lobby before its creation is refused: with
// 31^CodeLength codes, a second draw is already rare.
const reserveTries = 8

// reserveCode draws a join code for the lobby with id that neither this registry nor r.Codes
// holds, and reserves it in r.Codes.
func (r *Registry) reserveCode(ctx context.Context, id string) (string, error) {
	for range reserveTries {
		code := newJoinCode()
		r.mu.Lock()
		taken := r.byCode[code] != nil
		r.mu.Unlock()
		if taken {
			continue
		}
		ok, err := r.Codes.Reserve(ctx, code, id)
		if err != nil {
			r.Log.Warn("reserve a join code", "err", err)
			return "", &wire.Error{Code: wire.CodeUnavailable, Message: "no join code could be reserved; try again shortly"}
		}
		if ok {
			return code, nil
		}
	}
	return "", &wire.Error{Code: wire.CodeUnavailable, Message: "no free join code was found; try again"}
}

// releaseCode gives a reserved code back to r.Codes.
func (r *Registry) releaseCode(code string) {
	if code != "" && r.Codes != nil {
		r.Codes.Release(code)
	}
}

// recorder returns how lobbies hand over finished rounds: each is written on a goroutine of its
// own, so that a slow database never holds up a tick, and Close waits for it.
func (r *Registry) recorder() func(Match) {
	if r.Results == nil {
		return nil
	}
	return func(m Match) {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
			defer cancel()
			if err := r.Results.RecordMatch(ctx, m); err != nil {
				r.Log.Error("record match", "lobby", m.LobbyID, "err", err)
			}
		}()
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

// QuickJoin is QuickJoinGame of the default game.
func (r *Registry) QuickJoin(ctx context.Context, m Member) (*Lobby, Seat, Info, error) {
	return r.QuickJoinGame(ctx, m, "")
}

// QuickJoinGame seats m in a public lobby of game (the default game when empty): the one where
// its account still holds a seat (a reconnect), else the fullest with room, else a new quick
// lobby of that game. A game the registry does not have is invalid_request.
func (r *Registry) QuickJoinGame(ctx context.Context, m Member, game string) (*Lobby, Seat, Info, error) {
	if game == "" {
		game = r.Default
	}
	if _, ok := r.Game(game); !ok {
		return nil, Seat{}, Info{}, &wire.Error{Code: wire.CodeInvalidRequest, Message: fmt.Sprintf("no game named %q", truncate(game, 32))}
	}
	r.quickMu.Lock()
	defer r.quickMu.Unlock()
	for _, l := range r.quickCandidates(m.AccountID(), game) {
		seat, info, err := l.Join(ctx, m, false)
		if err == nil {
			return l, seat, info, nil
		}
		var e *wire.Error
		if !errors.As(err, &e) || e.Code == wire.CodeInvalidRequest || e.Code == wire.CodeNotFound {
			return nil, Seat{}, Info{}, err
		}
		// Full, closed, refused by the game, or kicked from: try the next.
	}
	return r.Create(ctx, CreateOptions{Quick: true, Game: game}, m)
}

// CouldSeat reports whether a quick join of game by account would find a lobby here: one
// where it holds a seat, or a public one with room. Unlike List it reads every lobby, so that
// one beyond the list's cap counts too.
func (r *Registry) CouldSeat(account, game string) bool {
	if game == "" {
		game = r.Default
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.byID {
		if l.private || !l.listed.Load() || l.gameName != game {
			continue
		}
		s := l.Summary()
		if s.State != StateClosed && (s.Players < s.MaxPlayers || slices.ContainsFunc(s.Seats, func(x Seat) bool { return x.AccountID == account })) {
			return true
		}
	}
	return false
}

// quickCandidates returns the public lobbies of game that could seat account: the one where it
// holds a seat first, then those with room, fullest first.
func (r *Registry) quickCandidates(account, game string) []*Lobby {
	type cand struct {
		l       *Lobby
		mine    bool
		players int
	}
	var cs []cand
	r.mu.Lock()
	for _, l := range r.byID {
		if l.private || !l.listed.Load() || l.gameName != game {
			continue
		}
		s := l.Summary()
		if s.State == StateClosed {
			continue
		}
		mine := slices.ContainsFunc(s.Seats, func(x Seat) bool { return x.AccountID == account })
		if mine || s.Players < s.MaxPlayers {
			cs = append(cs, cand{l, mine, s.Players})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(cs, func(a, b cand) int {
		if a.mine != b.mine {
			if a.mine {
				return -1
			}
			return 1
		}
		if a.players != b.players {
			return b.players - a.players
		}
		return strings.Compare(a.l.id, b.l.id)
	})
	out := make([]*Lobby, len(cs))
	for i, c := range cs {
		out[i] = c.l
	}
	return out
}

// List returns the public lobbies by name, at most Limits.MaxListed of them: the first ones.
// Its answer and the memory it takes are bounded by that limit, however many lobbies are open.
func (r *Registry) List() []Info {
	most := r.Limits.MaxListed
	kept := make(listHeap, 0, min(most, 64))
	first := &kept
	r.mu.Lock()
	for _, l := range r.byID {
		if !l.private && l.listed.Load() {
			if s := l.Summary(); s.State != StateClosed {
				switch {
				case first.Len() < most:
					heap.Push(first, s)
				case byName(s, (*first)[0]) < 0:
					(*first)[0] = s
					heap.Fix(first, 0)
				}
			}
		}
	}
	r.mu.Unlock()
	out := []Info(*first)
	slices.SortFunc(out, byName)
	return out
}

func byName(a, b Info) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
}

// listHeap holds the lobbies List keeps, the last by name on top, to be replaced by any that
// comes before it.
type listHeap []Info

func (h listHeap) Len() int           { return len(h) }
func (h listHeap) Less(i, j int) bool { return byName(h[i], h[j]) > 0 }
func (h listHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *listHeap) Push(x any)        { *h = append(*h, x.(Info)) }
func (h *listHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Totals returns the counters of every lobby the registry has run, open or closed: they only
// grow, as metrics' counters must.
func (r *Registry) Totals() Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.closed
	for _, l := range r.byID {
		t.add(&l.stats)
	}
	return t
}

// Open returns how many lobbies are open.
func (r *Registry) Open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// All returns every open lobby.
func (r *Registry) All() []*Lobby {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Lobby, 0, len(r.byID))
	for _, l := range r.byID {
		out = append(out, l)
	}
	return out
}

func newLobbyID() string {
	return "l" + strings.ToLower(rand.Text()[:11])
}

// Join codes avoid letters and digits that read alike (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLength is how many characters a new join code has: 31^10, about 8.2e14 codes, so that
// with the server's budget of wrong codes per account and per address guessing one is hopeless
// (PROTOCOL.md has the arithmetic). ByCode finds a code of any length, so codes handed out
// when they were shorter keep working.
const CodeLength = 10

func newJoinCode() string {
	b := make([]byte, CodeLength)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b)
}

// tickPhases is how many phases of its period a lobby's ticks may fall on. Lobbies of one tick
// rate share those phases, so that a hundred lobbies wake the process a few times a tick
// rather than a hundred: each wake-up of an idle process costs the kernel more than a
// lobby's tick costs the game. More phases spread the writes of a tick over more instants.
const tickPhases = 4

// firstTick is when a lobby created at now ticks first: a period on, moved back to the nearest
// of the tickPhases phases. It adds to now, so the time keeps its monotonic reading.
func firstTick(now time.Time, period time.Duration) time.Time {
	grid := int64(period / tickPhases)
	if grid <= 0 {
		return now.Add(period)
	}
	return now.Add(period - time.Duration(now.UnixNano()%grid))
}
