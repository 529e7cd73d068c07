package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tickwire/tickwire/game"
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
	// Games, when set, gives the games `serve` offers from its parsed settings, as
	// Config.Games: a program of its own passes its games here (README: Tickwire as a library),
	// usually Games(cfg) with its own appended. Nil offers Games(cfg), Tickwire's own.
	Games func(cfg Config) []game.Definition
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
