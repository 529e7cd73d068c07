package servertest

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// mainWithin bounds how long StartMain waits for the URL line, and Stop for Main to return.
const mainWithin = 20 * time.Second

// RunMain runs one tickwire command through server.Main, with stdin and an empty
// environment, and returns its exit status, stdout and stderr.
func RunMain(t testing.TB, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := server.Main(context.Background(), server.Env{Args: args, Stdin: strings.NewReader(stdin),
		Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// Main is server.Main running `tickwire serve` in the background, as the binary would.
type Main struct {
	// URL is the address it printed it serves at.
	URL    string
	Stdout *Buffer
	Stderr *Buffer

	t      testing.TB
	cancel context.CancelFunc
	done   chan struct{} // closed when Main has returned
	code   int
}

// StartMain runs server.Main with args (after "serve") and the environment env, and waits
// until it prints the URL it serves at. It fails the test if Main exits first or does not
// serve within 20 s; Main is stopped when the test ends.
func StartMain(t testing.TB, args []string, env map[string]string) *Main {
	t.Helper()
	return StartMainEnv(t, server.Env{Args: args, Getenv: func(k string) string { return env[k] }})
}

// StartMainEnv is StartMain with the rest of server.Env as e gives it (its Getenv and Games;
// Args after "serve"); Stdin is empty and the output goes to the Main's buffers.
func StartMainEnv(t testing.TB, e server.Env) *Main {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Stdout: &Buffer{}, Stderr: &Buffer{}, t: t, cancel: cancel, done: make(chan struct{})}
	e.Args = append([]string{"serve"}, e.Args...)
	e.Stdin, e.Stdout, e.Stderr = strings.NewReader(""), m.Stdout, m.Stderr
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	go func() {
		defer close(m.done)
		m.code = server.Main(ctx, e)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-m.done:
		case <-time.After(mainWithin):
			t.Errorf("Main did not return within %v of its context ending", mainWithin)
		}
	})
	deadline := time.Now().Add(mainWithin)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(m.Stdout.String()))
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Tickwire is serving at "); ok {
				m.URL = u
				return m
			}
		}
		select {
		case <-m.done:
			t.Fatalf("Main exited %d before serving: %s", m.code, m.Stderr.String())
		case <-time.After(pollEvery):
		}
	}
	t.Fatalf("Main did not serve within %v: %s", mainWithin, m.Stderr.String())
	return nil
}

// Stop cancels Main's context, as SIGTERM does, and returns its exit status.
func (m *Main) Stop() int {
	m.t.Helper()
	m.cancel()
	select {
	case <-m.done:
		return m.code
	case <-time.After(mainWithin):
		m.t.Fatalf("Main did not return within %v of its context ending", mainWithin)
		return -1
	}
}
