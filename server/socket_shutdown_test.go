package server_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestShutdownDrainsSockets: while a server shuts down, /readyz fails and new sockets meet a
// 503, every socket is closed 1001, and it is done within 10 s even with a client that never
// answers its close frame.
func TestShutdownDrainsSockets(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	ctx := t.Context()
	a, err := goclient.Dial(ctx, srv.WSURL(), srv.Guest(t, "answers").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Join(ctx, wire.Join{Quick: true}); err != nil {
		t.Fatal(err)
	}
	mute := srv.Dial(t, srv.Guest(t, "mute").AccessToken) // never reads again, never answers
	late := srv.Guest(t, "late").AccessToken

	start := time.Now()
	done := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- srv.Shutdown(sctx)
	}()
	servertest.Eventually(t, 2*time.Second, "/readyz fails", func() bool {
		resp, err := http.Get(srv.URL() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	if status, code, _ := wsRefusal(t, srv.WSURL(), servertest.Bearer(late)); status != 503 || code != "shutting_down" {
		t.Fatalf("a socket during shutdown: %d %s, want 503 shutting_down", status, code)
	}
	select {
	case <-a.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the socket was not closed")
	}
	var ce *goclient.CloseError
	if !errors.As(a.Err(), &ce) || ce.Code != 1001 {
		t.Fatalf("the socket ended with %v, want close 1001", a.Err())
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown took over 10 s")
	}
	t.Logf("shutdown took %v", time.Since(start))
	if code, _ := servertest.WaitClose(t, mute, time.Second); code != 1001 {
		t.Fatalf("the mute socket was closed %d, want 1001", code)
	}
}

// TestSignalShutsDownTheBinary runs the built binary and stops it with SIGTERM and SIGINT: new
// sockets meet a 503 while it drains, open ones are closed 1001, and it exits 0 within 10 s.
func TestSignalShutsDownTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t) // durability_test.go
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			base, ok := strings.CutPrefix(strings.TrimSpace(line), "Tickwire is serving at ")
			if err != nil || !ok {
				t.Fatalf("first line %q, %v; stderr: %s", line, err, stderr.String())
			}
			api := goclient.New(base)
			ctx := t.Context()
			tok := func() string {
				p, err := api.Guest(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				return p.AccessToken
			}
			a, err := goclient.Dial(ctx, goclient.WebSocketURL(base), tok())
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			mute, resp, err := servertest.DialRaw(goclient.WebSocketURL(base), servertest.Bearer(tok()))
			if err != nil {
				t.Fatalf("dial: %v (%s)", err, servertest.RespStatus(resp))
			}
			defer mute.Close()
			late := tok()

			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-a.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the socket was not closed")
			}
			var ce *goclient.CloseError
			if !errors.As(a.Err(), &ce) || ce.Code != 1001 {
				t.Fatalf("the socket ended with %v, want close 1001", a.Err())
			}
			// The mute socket holds the drain open for its 2 s: a new socket meets a 503.
			if status, code, _ := wsRefusal(t, goclient.WebSocketURL(base), servertest.Bearer(late)); status != 503 || code != "shutting_down" {
				t.Fatalf("a socket during shutdown: %d %s", status, code)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after %s", sig)
			}
			t.Logf("exited %v after %s", time.Since(start).Round(time.Millisecond), sig)
			if !strings.Contains(stderr.String(), "shut down") {
				t.Errorf("stderr lacks the shutdown line: %s", stderr.String())
			}
		})
	}
}
