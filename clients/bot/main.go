// Command bot plays N bots against a Tickwire server, for load tests and for the pleasure of
// company: each signs in (as a guest by default), joins a lobby of --lobby-size bots and steers
// with a simple behaviour, one input per snapshot, for --duration. It prints a progress line
// while it runs and, at the end, a report whose last line is key=value pairs. The exit status
// is 1 when any bot was disconnected before the run's end, 2 on a bad command line.
//
//	go run ./clients/bot --server http://localhost:8080 --bots 100 --duration 30s
//
// With --game liarsdice the bots play Liar's Dice instead, at tables of --lobby-size (4 unless
// set), each taking its turn when a snapshot says it is theirs with a simple legal strategy
// (liarsdice.go), the lobby's first bot dealing each next match; --options sets the game's
// create options. The report counts the matches finished.
//
//	go run ./clients/bot --game liarsdice --options dice=3 --bots 8 --duration 1m
//
// Each bot is one goroutine (its connection's reader) that allocates nothing per frame, so that
// on a machine shared with the server the bots are not what limits the measurement; the report
// gives their CPU so that a reader can tell.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tickwire/tickwire/clients/goclient/liarsdice"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the command line.
type config struct {
	server      string
	bots        int
	lobbySize   int
	duration    time.Duration
	warmup      time.Duration
	register    bool
	password    string
	behaviour   string
	concurrency int
	progress    time.Duration
	serverPID   int
	quiet       bool
	cpuProfile  string
	serverPprof string
	inputs      string
	game        string
	options     map[string]any // the game's create options, from --options
}

// When a bot sends its inputs (--inputs).
const (
	inputsClock = "clock"
	inputsReply = "reply"
)

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.server, "server", "http://localhost:8080", "the server's base URL")
	fs.IntVar(&c.bots, "bots", 8, "how many bots play")
	fs.IntVar(&c.lobbySize, "lobby-size", 8, "bots per lobby: the first creates it, the rest join it by id")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long the measured window lasts, once every bot plays")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "how long the bots play before the window opens")
	fs.BoolVar(&c.register, "register", false, "register accounts and log in, instead of guests (slow: a password hash each)")
	fs.StringVar(&c.password, "password", "tickwire-bots", "the password of --register accounts")
	fs.StringVar(&c.behaviour, "behaviour", "mixed", "steering: wander, orbit, seek or mixed")
	fs.IntVar(&c.concurrency, "setup-concurrency", 16, "lobbies set up at once")
	fs.DurationVar(&c.progress, "progress", 2*time.Second, "how often a progress line is printed (0: never)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's process id, when it runs here: report its CPU and memory over the window")
	fs.StringVar(&c.serverPprof, "server-pprof", "", "the server's --pprof-addr: report its live heap and stacks per bot, after a collection, at the window's end")
	fs.StringVar(&c.inputs, "inputs", inputsClock, "when bots send their inputs: clock (each on its own clock at the lobby's tick rate, at a phase of its own, as the browser client does) or reply (as soon as each snapshot arrives)")
	fs.BoolVar(&c.quiet, "quiet", false, "print no progress and no per-bot failures")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the bots' own CPU profile over the window to this file")
	fs.StringVar(&c.game, "game", "arena", "the game the bots play: arena (steering, for load) or liarsdice (turns, a simple legal strategy)")
	options := fs.String("options", "", "the game's create options, name=value pairs separated by commas (liarsdice: dice=2,turn_seconds=10,ones_wild=false)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	sized := false
	fs.Visit(func(f *flag.Flag) { sized = sized || f.Name == "lobby-size" })
	if c.game == liarsdice.Name && !sized {
		c.lobbySize = 4 // a table, not a crowd
	}
	var err error
	if c.options, err = parseOptions(*options); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.bots < 1:
		return c, errors.New("--bots must be at least 1")
	case c.lobbySize < 1 || c.lobbySize > 64:
		return c, errors.New("--lobby-size must be 1 to 64")
	case c.duration <= 0:
		return c, errors.New("--duration must be positive")
	case c.warmup < 0:
		return c, errors.New("--warmup must not be negative")
	case c.concurrency < 1:
		return c, errors.New("--setup-concurrency must be at least 1")
	case c.inputs != inputsClock && c.inputs != inputsReply:
		return c, fmt.Errorf("--inputs must be clock or reply, not %q", c.inputs)
	case c.game != "arena" && c.game != liarsdice.Name:
		return c, fmt.Errorf("--game must be arena or liarsdice, not %q", c.game)
	case c.game == liarsdice.Name && (c.lobbySize < 2 || c.lobbySize > 6):
		return c, errors.New("--lobby-size must be 2 to 6 for liarsdice")
	case behaviourNames[c.behaviour] == nil:
		return c, fmt.Errorf("--behaviour must be wander, orbit, seek or mixed, not %q", c.behaviour)
	case !strings.HasPrefix(c.server, "http://") && !strings.HasPrefix(c.server, "https://"):
		return c, fmt.Errorf("--server must be an http:// or https:// URL, not %q", c.server)
	}
	return c, nil
}

// parseOptions reads --options: name=value pairs, each value a whole number, true, false or
// else a string, as create's options take them.
func parseOptions(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]any{}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--options: %q is not name=value", kv)
		}
		if n, err := strconv.Atoi(v); err == nil {
			out[k] = n
		} else if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
			out[k] = b
		} else {
			out[k] = v
		}
	}
	return out, nil
}

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bot:", err)
		return 2
	}
	r := newRun(cfg, stdout, stderr)
	if err := r.play(ctx); err != nil {
		fmt.Fprintln(stderr, "bot:", err)
		return 1
	}
	if r.counters.disconnects.Load() > 0 {
		return 1
	}
	return 0
}
