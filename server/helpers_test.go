package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// startServer runs a real server on a loopback port with a fresh data folder; mutate adjusts
// the default configuration first.
func startServer(t *testing.T, mutate func(*server.Config)) *server.Server {
	t.Helper()
	s, _ := launch(t, mutate, nil)
	return s
}

// startServerWith is startServer with the server's log written to w as JSON, at debug level.
func startServerWith(t *testing.T, mutate func(*server.Config), w io.Writer) *server.Server {
	t.Helper()
	s, _ := launch(t, mutate, slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return s
}

// launch opens and serves a server on 127.0.0.1:0 with a t.TempDir() data folder, logging to
// log (nil discards), and stops it when the test ends. It returns the configuration it used.
func launch(t *testing.T, mutate func(*server.Config), log *slog.Logger) (*server.Server, server.Config) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Data = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	if mutate != nil {
		mutate(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := s.Serve(ctx, nil); err != nil {
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		done := make(chan error, 1)
		go func() { done <- s.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop within 15 s")
		}
	})
	return s, cfg
}
