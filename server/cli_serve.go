package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
)

// newLogger is the server's logger: text or JSON (--log-format) at --log-level, to w.
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

// runServe is `tickwire serve`: it opens and serves until ctx ends, and returns once the
// server has shut down.
func runServe(ctx context.Context, env Env, args []string) error {
	cfg, rest, err := ParseConfig("tickwire serve", args, env.Getenv, env.Stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &FlagError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	if env.Games != nil {
		cfg.Games = env.Games(cfg)
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
