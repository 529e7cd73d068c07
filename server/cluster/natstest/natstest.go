// Package natstest runs a real NATS cluster for tests: three nats-servers routed to each
// other on loopback, with JetStream on and its store in a temporary folder, embedded in the
// test binary (Start) or each in a child process of it (StartProcesses), which Kill ends with
// SIGKILL as a lost machine would end. Nothing of NATS is mocked; a server can be stopped and
// started again, as a host losing one of its NATS machines would.
package natstest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// readyWithin bounds how long Start waits for the servers to listen and for JetStream's
// cluster to elect its leader.
const readyWithin = 20 * time.Second

// Cluster is three clustered nats-servers with JetStream.
type Cluster struct {
	mu      sync.Mutex
	servers []*natsserver.Server // embedded, by index; nil when stopped or in child processes
	procs   []*child             // child processes, by index; nil when embedded or stopped
	opts    []*natsserver.Options
	dir     string
	inChild bool
}

// Start runs a three-server cluster named "tickwire" on loopback, embedded in the test
// binary, with its JetStream store under dir (a fresh temporary folder when empty), and waits
// until JetStream can place a stream on all three. Stop shuts it down; a test's cleanup, or
// TestMain, calls it.
func Start(dir string) (*Cluster, error) { return start(dir, false) }

// StartProcesses is Start with each server in a child process of the test binary, whose
// TestMain must call ServeIfChild first. Kill then sends SIGKILL.
func StartProcesses(dir string) (*Cluster, error) { return start(dir, true) }

func start(dir string, inChild bool) (*Cluster, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "natstest-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	routes := make([]int, 3)
	for i := range routes {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		routes[i] = p
	}
	c := &Cluster{dir: dir, inChild: inChild}
	for i := range 3 {
		port := natsserver.RANDOM_PORT
		if inChild {
			// A child's port is chosen here, so that its parent knows where it listens.
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			port = p
		}
		o := &natsserver.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       port,
			NoLog:      true,
			NoSigs:     true,
			JetStream:  true,
			StoreDir:   fmt.Sprintf("%s/n%d", dir, i+1),
			Cluster: natsserver.ClusterOpts{
				Name: "tickwire",
				Host: "127.0.0.1",
				Port: routes[i],
			},
			// A short ping lets clients and routes notice a dead server soon.
			PingInterval: time.Second,
			MaxPingsOut:  2,
		}
		for j, p := range routes {
			if j != i {
				o.Routes = append(o.Routes, natsserver.RoutesFromStr(fmt.Sprintf("nats://127.0.0.1:%d", p))...)
			}
		}
		c.opts = append(c.opts, o)
	}
	c.servers = make([]*natsserver.Server, 3)
	c.procs = make([]*child, 3)
	for i := range 3 {
		if err := c.start(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.waitLeader(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// StartT is Start for one test: the store in t.TempDir(), stopped when the test ends.
func StartT(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start(t.TempDir())
	if err != nil {
		t.Fatalf("start NATS cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// StartProcessesT is StartProcesses for one test.
func StartProcessesT(t testing.TB) *Cluster {
	t.Helper()
	c, err := StartProcesses(t.TempDir())
	if err != nil {
		t.Fatalf("start NATS cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

func (c *Cluster) start(i int) error {
	if c.inChild {
		return c.startChild(i)
	}
	s, err := natsserver.NewServer(c.opts[i])
	if err != nil {
		return fmt.Errorf("nats server %d: %w", i+1, err)
	}
	s.Start()
	if !s.ReadyForConnections(readyWithin) {
		s.Shutdown()
		return fmt.Errorf("nats server %d did not listen within %v", i+1, readyWithin)
	}
	// A restart listens where the server listened before, so that clients find it again.
	c.opts[i].Port = s.Addr().(*net.TCPAddr).Port
	c.mu.Lock()
	c.servers[i] = s
	c.mu.Unlock()
	return nil
}

// waitLeader waits until JetStream can place a stream with three replicas: its meta leader
// is elected and sees every server current. A leader alone is not enough: until the others
// are current it refuses three replicas with "no suitable peers for placement".
func (c *Cluster) waitLeader() error {
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(readyWithin)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "natstest_ready", Subjects: []string{"natstest.ready"},
			Replicas: 3, Storage: jetstream.MemoryStorage})
		if err == nil {
			err = js.DeleteStream(ctx, "natstest_ready")
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("JetStream could not place three replicas within %v: %w", readyWithin, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URLs is every running server's client URL, comma-separated, as --nats takes them.
func (c *Cluster) URLs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for i, s := range c.servers {
		if s != nil && !c.inChild {
			out = append(out, s.ClientURL())
		} else {
			out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port))
		}
	}
	return strings.Join(out, ",")
}

// Kill shuts server i (0 to 2) down at once: an embedded one by its shutdown, one in a child
// process by SIGKILL, which leaves its clients and routes nothing but a broken connection.
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	s, p := c.servers[i], c.procs[i]
	c.servers[i], c.procs[i] = nil, nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
	if p != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Restart starts server i again on the same ports and store.
func (c *Cluster) Restart(i int) error { return c.start(i) }

// Stop shuts every server down and removes nothing: the store's folder belongs to the caller.
func (c *Cluster) Stop() {
	for i := range c.servers {
		c.Kill(i)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ClientAddr is server i's client address, host:port.
func (c *Cluster) ClientAddr(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("127.0.0.1:%d", c.opts[i].Port)
}

// childEnv marks a child process that is to run one nats-server; its value is the server's
// settings, as JSON.
const childEnv = "NATSTEST_SERVE"

// childReady is the line a child prints once its server takes connections.
const childReady = "natstest: ready"

// childSettings is what a child needs to run its server.
type childSettings struct {
	Name, Store     string
	Port, RoutePort int
	Routes          []string
}

// child is one server's process.
type child struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed once the process has exited and its output is read
	stderr *strings.Builder
}

// ServeIfChild, at the start of a TestMain, runs a nats-server and exits when the test binary
// is a child that StartProcesses started; otherwise it returns at once.
func ServeIfChild() {
	raw, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	var cs childSettings
	if err := json.Unmarshal([]byte(raw), &cs); err != nil {
		fmt.Fprintln(os.Stderr, "natstest child:", err)
		os.Exit(2)
	}
	o := &natsserver.Options{ServerName: cs.Name, Host: "127.0.0.1", Port: cs.Port, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: cs.Store, PingInterval: time.Second, MaxPingsOut: 2,
		Cluster: natsserver.ClusterOpts{Name: "tickwire", Host: "127.0.0.1", Port: cs.RoutePort}}
	for _, r := range cs.Routes {
		o.Routes = append(o.Routes, natsserver.RoutesFromStr(r)...)
	}
	s, err := natsserver.NewServer(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natstest child:", err)
		os.Exit(1)
	}
	s.Start()
	if !s.ReadyForConnections(readyWithin) {
		fmt.Fprintln(os.Stderr, "natstest child: not ready")
		os.Exit(1)
	}
	fmt.Println(childReady)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	s.Shutdown()
	os.Exit(0)
}

// startChild runs server i in a child process of the test binary and waits until it takes
// connections.
func (c *Cluster) startChild(i int) error {
	o := c.opts[i]
	cs := childSettings{Name: o.ServerName, Store: o.StoreDir, Port: o.Port, RoutePort: o.Cluster.Port}
	for _, r := range o.Routes {
		cs.Routes = append(cs.Routes, r.String())
	}
	b, _ := json.Marshal(cs)
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	p := &child{cmd: cmd, done: make(chan struct{}), stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr // read once the child has exited
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("nats server %d: %w", i+1, err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == childReady {
				close(ready)
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.done) }()
	select {
	case <-ready:
	case <-p.done:
		return fmt.Errorf("nats server %d exited before it was ready: %s", i+1, p.stderr.String())
	case <-time.After(readyWithin):
		_ = cmd.Process.Kill()
		<-p.done
		return errors.New("nats server did not listen within " + readyWithin.String())
	}
	c.mu.Lock()
	c.procs[i] = p
	c.mu.Unlock()
	return nil
}
