package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/clients/goclient/liarsdice"
	"github.com/tickwire/tickwire/server/wire"
)

// run is one invocation: its bots, what they measure, and the window.
type run struct {
	cfg   config
	api   *goclient.Client
	out   io.Writer
	errw  io.Writer
	seed  uint64
	runID string
	bots  []*bot

	measuring atomic.Bool // inside the measured window
	ending    atomic.Bool // the run is over: drops from now on are expected
	tickRate  atomic.Int64
	lobbies   atomic.Int64

	interval histogram // time between a bot's snapshots
	ack      histogram // input sent to first snapshot acknowledging it
	counters counters

	logMu  sync.Mutex
	logged int

	pacer *pacer // sends the inputs under --inputs clock, once the bots are set up
}

func newRun(cfg config, out, errw io.Writer) *run {
	now := time.Now()
	r := &run{cfg: cfg, api: goclient.New(cfg.server), out: out, errw: errw,
		seed: uint64(now.UnixNano()), runID: strconv.FormatInt(now.Unix()%1e6, 36)}
	kinds := behaviourNames[cfg.behaviour]
	r.bots = make([]*bot, cfg.bots)
	for i := range r.bots {
		r.bots[i] = newBot(r, i, kinds[i%len(kinds)])
	}
	return r
}

// logf prints a failure, up to 20 of them, so that a thousand bots failing alike stay readable.
func (r *run) logf(format string, args ...any) {
	if r.cfg.quiet {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	if r.logged++; r.logged <= 20 {
		fmt.Fprintf(r.errw, "bot: "+format+"\n", args...)
	} else if r.logged == 21 {
		fmt.Fprintln(r.errw, "bot: (further failures are counted, not shown)")
	}
}

// play sets the bots up, runs the warmup and the window, ends the bots and reports.
func (r *run) play(ctx context.Context) error {
	setupStart := time.Now()
	r.signIn(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The baseline comes after the accounts exist, so that the memory per bot is what a
	// connection costs, not the database's cache of new accounts.
	var baseLive int64
	if r.cfg.serverPprof != "" {
		var err error
		if baseLive, err = liveMemory(ctx, r.cfg.serverPprof); err != nil {
			return fmt.Errorf("--server-pprof: %w", err)
		}
		// Let the runtime hand what the collection freed back to the system before the
		// baseline RSS is read.
		sleepCtx(ctx, 2*time.Second)
	}
	var baseRSS int64
	if r.cfg.serverPID > 0 {
		var err error
		if baseRSS, err = rss(r.cfg.serverPID); err != nil {
			return fmt.Errorf("--server-pid: %w", err)
		}
	}
	r.setup(ctx)
	if ctx.Err() != nil {
		r.end()
		return ctx.Err()
	}
	if r.cfg.inputs == inputsClock && r.cfg.game != liarsdice.Name { // Liar's Dice bots act on snapshots
		r.pacer = r.startPacer(ctx)
	}
	if !r.cfg.quiet {
		fmt.Fprintf(r.errw, "bot: %d bots set up in %.1f s; warming up\n", r.live(), time.Since(setupStart).Seconds())
	}
	if !sleepCtx(ctx, r.cfg.warmup) {
		r.end()
		return ctx.Err()
	}

	if r.cfg.cpuProfile != "" {
		f, err := os.Create(r.cfg.cpuProfile)
		if err != nil {
			r.end()
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			r.end()
			return err
		}
		defer pprof.StopCPUProfile()
	}
	w := r.openWindow()
	if !r.cfg.quiet {
		fmt.Fprintln(r.errw, "bot: window open") // the load-test driver starts its profile here
	}
	var tick <-chan time.Time
	if r.cfg.progress > 0 && !r.cfg.quiet {
		t := time.NewTicker(r.cfg.progress)
		defer t.Stop()
		tick = t.C
	}
	end := time.NewTimer(r.cfg.duration)
	defer end.Stop()
loop:
	for {
		select {
		case <-tick:
			r.checkEnded()
			r.progressLine(w)
		case <-end.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	res := r.closeWindow(w, baseRSS)
	if r.cfg.serverPprof != "" {
		if live, err := liveMemory(context.Background(), r.cfg.serverPprof); err == nil {
			res.live, res.baseLive = live, baseLive
		}
	}
	r.end()
	r.report(res)
	return nil
}

// signIn gets every bot its tokens, --setup-concurrency at a time. A bot that fails is counted
// and left out.
func (r *run) signIn(ctx context.Context) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range r.cfg.concurrency {
		wg.Go(func() {
			for i := range next {
				tok, err := r.account(ctx, i)
				if err != nil {
					r.counters.errors.Add(1)
					r.logf("bot %d: sign in: %v", i, err)
					continue
				}
				r.bots[i].tokens = tok
			}
		})
	}
	for i := 0; i < len(r.bots) && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// setup connects every signed-in bot and seats it: lobby by lobby, --setup-concurrency lobbies
// at a time. A bot that fails is counted and left out.
func (r *run) setup(ctx context.Context) {
	m := r.cfg.lobbySize
	groups := make(chan int)
	var wg sync.WaitGroup
	for range r.cfg.concurrency {
		wg.Go(func() {
			for g := range groups {
				r.setupLobby(ctx, r.bots[g*m:min((g+1)*m, len(r.bots))], g)
			}
		})
	}
	for g := 0; g*m < len(r.bots) && ctx.Err() == nil; g++ {
		groups <- g
	}
	close(groups)
	wg.Wait()
}

func (r *run) setupLobby(ctx context.Context, members []*bot, g int) {
	var lobby string
	var host *bot
	for i, b := range members {
		idx := g*r.cfg.lobbySize + i
		if b.tokens.AccessToken == "" {
			continue // its sign-in failed
		}
		c, err := r.api.Connect(ctx, b.tokens, b.options())
		if err != nil {
			r.counters.errors.Add(1)
			r.logf("bot %d: connect: %v", idx, err)
			continue
		}
		b.conn = c
		b.connected.Store(true)
		if r.cfg.game == liarsdice.Name {
			go b.watchRefusals() // ends when the connection does
		}
		if lobby == "" {
			b.host.Store(true)
			j, err := c.Create(ctx, wire.Create{Name: fmt.Sprintf("bots %s/%d", r.runID, g), MaxPlayers: r.cfg.lobbySize,
				Game: r.cfg.game, Options: r.cfg.options})
			if err != nil {
				b.host.Store(false)
				r.counters.errors.Add(1)
				r.logf("bot %d: create: %v", idx, err)
				continue
			}
			lobby, host = j.Lobby.ID, b
			r.tickRate.Store(int64(j.Lobby.TickRate))
			r.lobbies.Add(1)
		} else if _, err := c.Join(ctx, wire.Join{Lobby: lobby}); err != nil {
			r.counters.errors.Add(1)
			r.logf("bot %d: join: %v", idx, err)
		}
	}
	if host != nil {
		if err := host.conn.Start(ctx); err != nil {
			r.counters.errors.Add(1)
			r.logf("lobby %d: start: %v", g, err)
		}
	}
}

// account signs bot i in: a new guest, or a registered account (made on first use). Refusals
// for load (429, 503) are waited out.
func (r *run) account(ctx context.Context, i int) (goclient.Tokens, error) {
	for attempt := 0; ; attempt++ {
		var tok goclient.Tokens
		var err error
		if r.cfg.register {
			name := fmt.Sprintf("bot-%s-%d", r.runID, i)
			_, err = r.api.Register(ctx, name, r.cfg.password)
			var ae *goclient.APIError
			if err == nil || errors.As(err, &ae) && ae.Code == "username_taken" {
				tok, err = r.api.Login(ctx, name, r.cfg.password)
			}
		} else {
			tok, err = r.api.Guest(ctx, "bot")
		}
		var ae *goclient.APIError
		if err == nil || attempt >= 8 || ctx.Err() != nil ||
			errors.As(err, &ae) && ae.Status != 429 && ae.Status < 500 {
			return tok, err
		}
		wait := time.Duration(100<<attempt) * time.Millisecond
		if ae != nil && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		if !sleepCtx(ctx, wait) {
			return tok, ctx.Err()
		}
	}
}

// live counts the bots whose connection is up.
func (r *run) live() int {
	n := 0
	for _, b := range r.bots {
		if b.conn != nil && b.connected.Load() && !b.ended.Load() {
			n++
		}
	}
	return n
}

// checkEnded notices connections that ended for good; before the run's end each is a
// disconnect.
func (r *run) checkEnded() {
	for _, b := range r.bots {
		if b.conn == nil || b.ended.Load() {
			continue
		}
		select {
		case <-b.conn.Done():
			b.ended.Store(true)
			if !r.ending.Load() {
				r.counters.disconnects.Add(1)
				r.logf("bot connection ended: %v", b.conn.Err())
			}
		default:
		}
	}
}

// end closes every bot's connection, 64 at a time.
func (r *run) end() {
	r.checkEnded()
	r.ending.Store(true)
	r.pacer.stop()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, b := range r.bots {
		if b.conn == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			b.conn.Close()
		})
	}
	wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// window is the measured span and the CPU counters at its start.
type window struct {
	start     time.Time
	selfCPU   time.Duration
	serverCPU time.Duration
	mallocs   uint64
}

func (r *run) openWindow() window {
	w := window{start: time.Now()}
	w.selfCPU, _ = cpuTime(0)
	if r.cfg.serverPID > 0 {
		w.serverCPU, _ = cpuTime(r.cfg.serverPID)
	}
	for _, b := range r.bots {
		b.snaps.Store(0)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.mallocs = ms.Mallocs
	r.measuring.Store(true)
	return w
}

// result is what the window measured.
type result struct {
	secs                float64
	bots, connected     int
	hzMean, hzMin       float64
	loadCPU             float64 // percent of one core
	serverCPU           float64
	serverRSS, baseRSS  int64
	hasServer           bool
	tickRate, lobbies   int64
	reauths, disconnect int64
	errors              int64
	matches             int64
	allocsPerSnap       float64 // the bots' heap allocations per snapshot received, all causes
	live, baseLive      int64   // the server's heap and stacks in use after a collection
}

func (r *run) closeWindow(w window, baseRSS int64) result {
	r.measuring.Store(false)
	secs := time.Since(w.start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res := result{secs: secs, bots: len(r.bots), tickRate: r.tickRate.Load(), lobbies: r.lobbies.Load(), baseRSS: baseRSS}
	if cpu, err := cpuTime(0); err == nil {
		res.loadCPU = 100 * (cpu - w.selfCPU).Seconds() / secs
	}
	if r.cfg.serverPID > 0 {
		if cpu, err := cpuTime(r.cfg.serverPID); err == nil {
			res.serverCPU = 100 * (cpu - w.serverCPU).Seconds() / secs
			res.serverRSS, _ = rss(r.cfg.serverPID)
			res.hasServer = true
		}
	}
	r.checkEnded()
	res.connected = r.live()
	res.hzMin = math.Inf(1)
	var sum float64
	n := 0
	for _, b := range r.bots {
		if b.conn == nil {
			continue
		}
		hz := float64(b.snaps.Load()) / secs
		sum += hz
		n++
		res.hzMin = min(res.hzMin, hz)
	}
	if n > 0 {
		res.hzMean = sum / float64(n)
		res.allocsPerSnap = float64(ms.Mallocs-w.mallocs) / (sum * secs)
	} else {
		res.hzMin = 0
	}
	res.reauths = r.counters.reauths.Load()
	res.disconnect = r.counters.disconnects.Load()
	res.errors = r.counters.errors.Load()
	res.matches = r.counters.matches.Load()
	return res
}

func (r *run) progressLine(w window) {
	secs := time.Since(w.start).Seconds()
	var snaps uint64
	for _, b := range r.bots {
		snaps += b.snaps.Load()
	}
	fmt.Fprintf(r.errw, "bot: t=%4.0fs connected=%d/%d snapshot_hz=%.2f ack_p50=%.1fms ack_p99=%.1fms reauths=%d disconnects=%d errors=%d\n",
		secs, r.live(), len(r.bots), float64(snaps)/secs/float64(max(1, len(r.bots))),
		ms(r.ack.quantile(0.5)), ms(r.ack.quantile(0.99)),
		r.counters.reauths.Load(), r.counters.disconnects.Load(), r.counters.errors.Load())
}
