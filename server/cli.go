package server

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/store"
)

// Version is the binary's version, set at build time with -ldflags "-X ...server.Version=...".
var Version = "dev"

// Env is what a command runs with: its arguments, streams and environment.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `Usage: tickwire [command] [flags] [arguments]

Commands:
  serve                      run the server (the default)
  user add [--admin] NAME    create an account; the password is read from stdin
  user ban NAME              disable an account and end its sessions
  user unban NAME            enable a disabled account
  user list                  list registered accounts
  user scopes NAME SCOPES    set an account's scopes, like "play" to withhold host or
                             "play,host"; they take effect at its next login or refresh
  sessions revoke NAME       end every session of an account
  keys rotate                add a new signing key; older keys keep verifying
  invites create [--uses N] [--ttl D] [--note TEXT]
                             make an invite code (for --registration invite)
  invites list               list the invite codes that can still be used
  invites revoke CODE        delete an invite code
  backup FILE                write an online copy of the database to FILE
  version                    print the version

Every command takes --data (env TICKWIRE_DATA, default ./data). Run "tickwire serve --help"
for every server setting. A running server picks up what these commands change within
--sync-interval (default 5s).
`

// Main runs the tickwire command line and returns the exit status: 0 on success, 1 on a
// failure, 2 on a bad command line or setting.
func Main(ctx context.Context, env Env) int {
	args := env.Args
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, env, args)
	case "user":
		err = runUser(ctx, env, args)
	case "sessions":
		err = runSessions(ctx, env, args)
	case "keys":
		err = runKeys(env, args)
	case "invites":
		err = runInvites(ctx, env, args)
	case "backup":
		err = runBackup(ctx, env, args)
	case "version":
		fmt.Fprintln(env.Stdout, "tickwire", Version)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = &FlagError{fmt.Sprintf("unknown command %q (try tickwire help)", cmd)}
	}
	var fe *FlagError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &fe):
		fmt.Fprintln(env.Stderr, "tickwire:", fe.Msg)
		return 2
	default:
		fmt.Fprintln(env.Stderr, "tickwire:", err)
		return 1
	}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serveGCPercent is the garbage collector's target for a serving process (see runServe).
const serveGCPercent = 25

func runServe(ctx context.Context, env Env, args []string) error {
	cfg, rest, err := ParseConfig("tickwire serve", args, env.Getenv, env.Stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &FlagError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	if env.Getenv("GOGC") == "" {
		// The server allocates little once its players are connected (a few hundred bytes per
		// lobby per tick), so collecting at a quarter's growth of the live heap, rather than the
		// runtime's default of doubling, costs next to no CPU and keeps a quarter of the heap
		// headroom per connection. GOGC set in the environment decides instead.
		debug.SetGCPercent(serveGCPercent)
	}
	log := newLogger(cfg, env.Stderr)
	s, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := s.Serve(ctx, nil); err != nil {
		s.Close()
		return err
	}
	log.Info("configuration", cfg.LogAttrs()...)
	log.Info("tickwire serving", "version", Version, "url", s.URL(), "metrics", s.MetricsURL())
	if s.webMissing {
		// Said only once the settings have all been accepted, so a refused start stays one line.
		log.Warn("the browser client is not built into this binary; run `make web` and rebuild")
	}
	fmt.Fprintf(env.Stdout, "Tickwire is serving at %s\n", s.URL())
	return s.Wait()
}

// dataFlags parses a maintenance command's flags: --data (else TICKWIRE_DATA, else the data
// key of the --config file or TICKWIRE_CONFIG, else ./data), --config, and what more adds.
func dataFlags(env Env, name string, args []string, more func(*flag.FlagSet)) (string, []string, error) {
	fs := flag.NewFlagSet("tickwire "+name, flag.ContinueOnError)
	// A bad flag is one line on stderr (from Main); -h prints the usage to stdout.
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "data folder (env TICKWIRE_DATA, default ./data)")
	config := fs.String("config", "", "the server's TOML config file, to read its data key (env "+configEnv+")")
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return "", nil, err
		}
		return "", nil, &FlagError{err.Error()}
	}
	dir := *data
	if dir == "" {
		dir = env.Getenv("TICKWIRE_DATA")
	}
	if dir == "" {
		path := *config
		if path == "" {
			path = env.Getenv(configEnv)
		}
		if path != "" {
			var c Config
			file, _, err := readConfigFile(path, c.settings())
			if err != nil {
				return "", nil, err
			}
			dir = file["data"]
		}
	}
	if dir == "" {
		dir = "./data"
	}
	return dir, fs.Args(), nil
}

// offline opens the auth service on a data folder without serving. A running server on the same
// folder picks up the bans and revocations made this way every --sync-interval (sync.go).
func offline(ctx context.Context, data string) (*auth.Service, *store.DB, error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data folder: %w", err)
	}
	db, err := store.Open(ctx, data)
	if err != nil {
		return nil, nil, err
	}
	keys, err := auth.OpenKeySet(filepath.Join(data, "keys"))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	// Nothing is signed offline. The access lifetime sets how long the sessions ended here stay
	// revoked, and the server that issued their tokens may run with any --access-ttl: assume
	// the default refresh lifetime, longer than any access token sensibly lives.
	long := DefaultConfig().RefreshTTL
	svc := &auth.Service{Store: db, Tokens: &auth.Tokens{Keys: keys, AccessTTL: long, RefreshTTL: long, Now: time.Now},
		Hasher: auth.NewHasher(auth.DefaultParams, auth.HashLimits{Concurrency: 1}), Now: time.Now}
	if err := svc.Load(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, db, nil
}

func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return &FlagError{"user needs add, ban, unban, list or scopes"}
	}
	sub := args[0]
	var admin bool
	data, rest, err := dataFlags(env, "user "+sub, args[1:], func(fs *flag.FlagSet) {
		if sub == "add" {
			fs.BoolVar(&admin, "admin", false, "grant the admin scope")
		}
	})
	if err != nil {
		return err
	}
	var scopes []string
	switch {
	case sub == "list":
		if len(rest) != 0 {
			return &FlagError{"user list takes no arguments"}
		}
	case sub == "scopes":
		if len(rest) != 2 {
			return &FlagError{"user scopes takes a NAME and its SCOPES, like: user scopes alice play"}
		}
		if scopes, err = parseScopes(rest[1]); err != nil {
			return err
		}
	case len(rest) != 1:
		return &FlagError{fmt.Sprintf("user %s takes one NAME", sub)}
	}
	svc, db, err := offline(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "add":
		line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		a, err := svc.Register(ctx, rest[0], strings.TrimRight(line, "\r\n"), admin)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created %s (id %s, scopes %s)\n", a.Username, a.ID, a.Scope())
	case "ban", "unban":
		a, err := svc.SetBanned(ctx, rest[0], sub == "ban")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%sned %s\n", sub, a.Username)
	case "scopes":
		a, _, err := db.AccountByName(ctx, rest[0])
		if err != nil {
			return err
		}
		if err := db.SetScopes(ctx, a.ID, scopes); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s now has scopes %s; its tokens carry them from its next login or refresh\n", a.Username, strings.Join(scopes, " "))
	case "list":
		accts, err := db.ListAccounts(ctx, 10000)
		if err != nil {
			return err
		}
		for _, a := range accts {
			state := "active"
			if a.Disabled {
				state = "banned"
			}
			fmt.Fprintf(env.Stdout, "%s\t%s\t%s\t%s\n", a.Username, a.ID, a.Scope(), state)
		}
	default:
		return &FlagError{fmt.Sprintf("unknown user command %q", sub)}
	}
	return nil
}

// parseScopes reads a list of scopes separated by commas or spaces: play, host and admin.
func parseScopes(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f != auth.ScopePlay && f != auth.ScopeHost && f != auth.ScopeAdmin {
			return nil, &FlagError{fmt.Sprintf("user scopes: %q is not a scope (play, host or admin)", f)}
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, &FlagError{"user scopes: name at least one scope (play, host or admin)"}
	}
	return out, nil
}

func runSessions(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "revoke" {
		return &FlagError{"sessions needs revoke NAME"}
	}
	data, rest, err := dataFlags(env, "sessions revoke", args[1:], nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &FlagError{"sessions revoke takes one NAME"}
	}
	svc, db, err := offline(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	a, _, err := db.AccountByName(ctx, rest[0])
	if err != nil {
		return err
	}
	sids, err := db.LiveSessions(ctx, a.ID, time.Now())
	if err != nil {
		return err
	}
	for _, sid := range sids {
		if err := svc.EndSession(ctx, sid, a.ID, "revoked"); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "ended %d sessions of %s\n", len(sids), a.Username)
	return nil
}

func runKeys(env Env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return &FlagError{"keys needs rotate"}
	}
	data, rest, err := dataFlags(env, "keys rotate", args[1:], nil)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return &FlagError{"keys rotate takes no arguments"}
	}
	ks, err := auth.OpenKeySet(filepath.Join(data, "keys"))
	if err != nil {
		return err
	}
	k, err := ks.Rotate(time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "new signing key %s\n", k.ID)
	return nil
}

func runBackup(ctx context.Context, env Env, args []string) error {
	data, rest, err := dataFlags(env, "backup", args, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &FlagError{"backup takes one FILE"}
	}
	// Opening a missing database would create an empty one and back that up.
	if _, err := os.Stat(filepath.Join(data, store.FileName)); err != nil {
		return fmt.Errorf("no database in --data %s: %w", data, err)
	}
	// The copy holds password hashes: make it private before SQLite writes into it. O_EXCL
	// makes sure a backup never overwrites anything.
	f, err := os.OpenFile(rest[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	db, err := store.Open(ctx, data)
	if err != nil {
		os.Remove(rest[0])
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, rest[0]); err != nil {
		os.Remove(rest[0])
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up to %s\n", rest[0])
	return nil
}
