package servertest

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// stopWithin bounds how long Stop waits for a server to shut down before it fails the test.
const stopWithin = 15 * time.Second

// Server is a real Tickwire serving on a loopback port, for one test. It embeds the running
// *server.Server, so URL, MetricsURL, DB, Auth and Shutdown are the server's own.
type Server struct {
	*server.Server

	// Config is what the server runs with: the defaults, a t.TempDir() data folder and
	// 127.0.0.1:0, then the test's mutator. After Start, Addr is the address it listens on.
	Config server.Config
	// Log holds the server's log when Start was given LogText or LogJSON; else it is empty.
	Log *Buffer

	t      testing.TB
	log    *slog.Logger
	cancel context.CancelFunc
}

// Option changes how Start runs a server. Options apply before the test's mutator, which
// may undo what they set.
type Option func(*Server)

// Metrics serves /metrics on a loopback address of its own (--metrics-addr), where Metric
// reads it.
func Metrics(s *Server) { s.Config.MetricsAddr = "127.0.0.1:0" }

// LogText captures the server's log, at debug level, as text lines in Server.Log.
func LogText(s *Server) {
	s.log = slog.New(slog.NewTextHandler(s.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// LogJSON captures the server's log, at debug level, as JSON lines in Server.Log.
func LogJSON(s *Server) {
	s.log = slog.New(slog.NewJSONHandler(s.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Start opens and serves a server on 127.0.0.1:0 with a fresh data folder in t.TempDir();
// opts, then mutate (nil for none), adjust the default configuration first. The server is stopped, and
// its stop checked, when the test ends.
func Start(t testing.TB, mutate func(*server.Config), opts ...Option) *Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Data = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	s := &Server{Config: cfg, Log: &Buffer{}, t: t}
	for _, o := range opts {
		o(s)
	}
	if mutate != nil {
		mutate(&s.Config)
	}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// start opens and serves on s.Config.Addr, and records the address it got.
func (s *Server) start() {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Open(ctx, s.Config, s.log)
	if err != nil {
		cancel()
		s.t.Fatalf("open server: %v", err)
	}
	ln, err := net.Listen("tcp", s.Config.Addr)
	if err != nil {
		cancel()
		srv.Close()
		s.t.Fatalf("listen on %s: %v", s.Config.Addr, err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		cancel()
		s.t.Fatalf("serve: %v", err)
	}
	s.Config.Addr = ln.Addr().String()
	s.Server, s.cancel = srv, cancel
}

// Stop shuts the server down as SIGTERM does (its sockets close 1001) and waits for it, and
// fails the test when that fails or takes longer than 15 s. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	done := make(chan error, 1)
	go func() { done <- s.Server.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Errorf("server stopped with %v", err)
		}
	case <-time.After(stopWithin):
		s.t.Errorf("server did not stop within %v", stopWithin)
	}
}

// Restart starts a stopped server again on the same address and data folder, as a host
// restarting the process would.
func (s *Server) Restart() {
	s.t.Helper()
	if s.cancel != nil {
		s.t.Fatal("Restart of a server that is running")
	}
	s.start()
}

// WSURL is the server's socket endpoint, ws:// or wss://.
func (s *Server) WSURL() string { return WSURL(s.URL()) }
