// Package clustertest runs Tickwire nodes on a real NATS cluster for tests: in the test
// process (through servertest, so every helper of a single server works on a node) or as
// child processes of the test binary, which a test may SIGKILL as a host's failure would.
//
// A test binary that uses it shares one NATS cluster (natstest) among its tests: TestMain
// calls Main, which starts the cluster, or, in a child, runs `tickwire serve` instead of the
// tests. Each test keeps apart from the others by a prefix of its own on every NATS name.
package clustertest

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster/natstest"
	"github.com/tickwire/tickwire/server/servertest"
)

// childEnv marks a child process that is to serve rather than test; its value is the
// arguments of `tickwire serve`, separated by newlines.
const childEnv = "TICKWIRE_CLUSTERTEST_SERVE"

// prefixEnv carries a child's NATS prefix.
const prefixEnv = "TICKWIRE_CLUSTERTEST_PREFIX"

// startWithin bounds how long StartProcess waits for a child to serve.
const startWithin = 30 * time.Second

// NATS is the cluster Main started for this test binary.
var NATS *natstest.Cluster

// Main is the body of a TestMain: in a child started by StartProcess it serves and exits, in
// one started by natstest.StartProcesses it runs that nats-server; else it starts the shared
// NATS cluster, runs the tests and stops the cluster.
func Main(m *testing.M) {
	natstest.ServeIfChild()
	if args, ok := os.LookupEnv(childEnv); ok {
		os.Exit(serveChild(strings.Split(args, "\n")))
	}
	dir, err := os.MkdirTemp("", "clustertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	NATS, err = natstest.Start(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start NATS:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	NATS.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// serveChild is `tickwire serve` with args, as the binary runs it, but under the NATS prefix
// of the test that started the child.
func serveChild(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, _, err := server.ParseConfig("serve", args, os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg.ClusterPrefix = os.Getenv(prefixEnv)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Open(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := srv.Serve(ctx, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("Tickwire is serving at %s\n", srv.URL())
	if err := srv.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

var prefixes atomic.Int64

var notName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// Prefix returns a prefix of NATS names unique to this test in this binary.
func Prefix(t testing.TB) string {
	name := notName.ReplaceAllString(t.Name(), "_")
	if len(name) > 24 {
		name = name[:24]
	}
	return fmt.Sprintf("t%d_%s_", prefixes.Add(1), name)
}

// Node starts a node in the test process, on the shared NATS cluster under prefix, named
// id; mutate (nil for none) adjusts its configuration after that.
func Node(t testing.TB, prefix, id string, mutate func(*server.Config), opts ...servertest.Option) *servertest.Server {
	t.Helper()
	return servertest.Start(t, func(c *server.Config) {
		c.NATS = strings.Split(NATS.URLs(), ",")
		c.ClusterPrefix = prefix
		c.NodeID = id
		if mutate != nil {
			mutate(c)
		}
	}, opts...)
}

// Process is a node running as a child process.
type Process struct {
	URL    string // where it serves
	Stderr *servertest.Buffer

	cmd  *exec.Cmd
	done chan struct{}
}

// StartProcess runs `tickwire serve` in a child process with args, on the shared NATS cluster
// under prefix, on a free loopback port (its --public-url) and a data folder of its own
// unless args name them, and waits until it serves. The child is killed, if still running,
// when the test ends.
func StartProcess(t testing.TB, prefix string, args ...string) *Process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	all := append([]string{"--nats", NATS.URLs(), "--addr", addr, "--public-url", "http://" + addr, "--data", t.TempDir()}, args...)
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(all, "\n"), prefixEnv+"="+prefix)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{Stderr: &servertest.Buffer{}, cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = p.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	served := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Tickwire is serving at "); ok {
				served <- u
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Kill)
	select {
	case p.URL = <-served:
		return p
	case <-p.done:
		t.Fatalf("node exited before serving: %s", p.Stderr.String())
	case <-time.After(startWithin):
		p.Kill()
		t.Fatalf("node did not serve within %v: %s", startWithin, p.Stderr.String())
	}
	return nil
}

// Kill sends SIGKILL to the child and waits for it to go.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}
