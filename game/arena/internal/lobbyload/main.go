//go:build unix

// Command lobbyload measures how many arena lobbies one process can tick on time. For each
// count of lobbies it runs them on the real clock with their players steering, then reports
// the tick rate they achieved, the ticks that started late (more than a period) or were
// skipped, how late ticks started, and the CPU the process used. Run it on one core with
//
//	GOMAXPROCS=1 go run ./game/arena/internal/lobbyload -lobbies 100,200,400,800
//
// Each member copies the shared state behind a small header of its own into a buffer of its
// own, as a socket's writer does; nothing is sent anywhere.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

func main() {
	counts := flag.String("lobbies", "100,200,400,800", "comma-separated lobby counts to try, in order")
	players := flag.Int("players", 8, "players per lobby")
	rate := flag.Int("rate", 20, "tick rate, Hz")
	warmup := flag.Duration("warmup", 2*time.Second, "time to settle before measuring")
	window := flag.Duration("duration", 5*time.Second, "time measured per count")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("GOMAXPROCS=%d, %d players per lobby, %d Hz, %s measured per count\n", runtime.GOMAXPROCS(0), *players, *rate, *window)
	fmt.Printf("%8s %10s %8s %8s %10s %10s %10s %8s\n", "lobbies", "ticks/s", "late%", "skipped", "p50 late", "p99 late", "max late", "cpu%")
	for _, f := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad -lobbies entry %q\n", f)
			os.Exit(2)
		}
		r := measure(n, *players, *rate, *warmup, *window)
		fmt.Printf("%8d %10.0f %7.2f%% %8d %10s %10s %10s %7.0f%%\n", n, r.tickRate, r.latePct, r.skipped,
			r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.max.Round(time.Microsecond), r.cpuPct)
	}
}

// member stands in for a socket: it wraps each snapshot into a frame buffer of its own.
type member struct {
	id  string
	buf []byte
}

func (m *member) AccountID() string           { return m.id }
func (m *member) Name() string                { return m.id }
func (m *member) Joined(game.Seat, game.Info) {}
func (m *member) Event(game.Event)            {}
func (m *member) Snapshot(s game.Snapshot) {
	m.buf = append(m.buf[:0], 0x82, 0xa1, 't', 0xa8, 's', 'n', 'a', 'p', 's', 'h', 'o', 't', 0xa1, 'd', 0x80|byte(2+s.Fields),
		0xa4, 't', 'i', 'c', 'k', 0xcf, byte(s.Tick>>56), byte(s.Tick>>48), byte(s.Tick>>40), byte(s.Tick>>32),
		byte(s.Tick>>24), byte(s.Tick>>16), byte(s.Tick>>8), byte(s.Tick), 0xa3, 'a', 'c', 'k', 0xce,
		byte(s.Ack>>24), byte(s.Ack>>16), byte(s.Ack>>8), byte(s.Ack))
	m.buf = append(m.buf, s.State...)
}

type result struct {
	tickRate, latePct, cpuPct float64
	skipped                   uint64
	p50, p99, max             time.Duration
}

type seated struct {
	l     *game.Lobby
	m     *member
	seat  game.Seat
	phase int
}

func measure(lobbies, players, rate int, warmup, window time.Duration) result {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := &game.Registry{
		Games:   []game.Definition{arena.Definition(arena.Rules{RoundLength: time.Hour})},
		Default: arena.Name, TickRate: rate, Limits: game.Limits{MaxLobbies: lobbies + 1},
	}
	reg.Start(ctx)
	defer reg.Close()
	var all []seated
	var ls []*game.Lobby
	for i := range lobbies {
		var l *game.Lobby
		for p := range players {
			m := &member{id: fmt.Sprintf("l%dp%d", i, p)}
			var seat game.Seat
			var err error
			if p == 0 {
				l, seat, _, err = reg.Create(ctx, game.CreateOptions{MaxPlayers: players}, m)
			} else {
				seat, _, err = l.Join(ctx, m, false)
			}
			if err != nil {
				log.Fatal(err)
			}
			all = append(all, seated{l, m, seat, i + p})
		}
		if err := l.Start(ctx, all[len(all)-players].m); err != nil {
			log.Fatal(err)
		}
		ls = append(ls, l)
	}

	// Every player steers once per tick, as a client sending at the tick rate does.
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		steer := [...]float32{1, 0.5, 0, -0.5, -1, -0.5, 0, 0.5}
		var msg []byte
		for seq := uint32(1); ; seq++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, s := range all {
				k := (int(seq)/int(rate) + s.phase) % len(steer)
				msg = arena.AppendInput(msg[:0], seq, steer[k], steer[(k+2)%len(steer)], 0)
				s.l.Input(&s.seat, s.m, game.Input{Seq: seq, Msg: msg})
			}
		}
	}()
	// Lateness is sampled ten times a period from up to 200 lobbies spread over all of them,
	// so that sampling costs little next to the lobbies.
	watched := ls
	if len(ls) > 200 {
		watched = make([]*game.Lobby, 0, 200)
		for i := range 200 {
			watched = append(watched, ls[i*len(ls)/200])
		}
	}
	var samples []time.Duration
	sampling := make(chan bool)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second / time.Duration(rate*10))
		defer t.Stop()
		on := false
		for {
			select {
			case <-ctx.Done():
				return
			case on = <-sampling:
				continue
			case <-t.C:
			}
			if on {
				for _, l := range watched {
					samples = append(samples, time.Duration(l.Stats().LastLateNanos.Load()))
				}
			}
		}
	}()

	time.Sleep(warmup)
	sum := func() (ticks, late, skipped uint64) {
		for _, l := range ls {
			st := l.Stats()
			ticks += st.Ticks.Load()
			late += st.Late.Load()
			skipped += st.Skipped.Load()
		}
		return
	}
	t0, l0, s0 := sum()
	c0, w0 := cpu(), time.Now()
	sampling <- true
	time.Sleep(window)
	sampling <- false
	t1, l1, s1 := sum()
	c1, elapsed := cpu(), time.Since(w0)
	cancel()
	wg.Wait()

	slices.Sort(samples)
	pct := func(p float64) time.Duration {
		if len(samples) == 0 {
			return 0
		}
		return samples[min(len(samples)-1, int(p*float64(len(samples))))]
	}
	r := result{
		tickRate: float64(t1-t0) / elapsed.Seconds(),
		skipped:  s1 - s0,
		p50:      pct(0.50), p99: pct(0.99), max: pct(1),
		cpuPct: 100 * (c1 - c0).Seconds() / elapsed.Seconds(),
	}
	if t1 > t0 {
		r.latePct = 100 * float64(l1-l0) / float64(t1-t0)
	}
	return r
}

// cpu returns the CPU time, user and system, the process has used.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "getrusage:", err)
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
