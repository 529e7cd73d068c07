// Package natstest runs a real NATS cluster for tests: three nats-servers embedded in the
// test binary, routed to each other on loopback, with JetStream on and its store in a
// temporary folder. Nothing of NATS is mocked; a server can be stopped and started again,
// as a host losing one of its NATS machines would.
package natstest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// readyWithin bounds how long Start waits for the servers to listen and for JetStream's
// cluster to elect its leader.
const readyWithin = 20 * time.Second

// Cluster is three clustered nats-servers with JetStream.
type Cluster struct {
	mu      sync.Mutex
	servers []*natsserver.Server
	opts    []*natsserver.Options
	dir     string
}

// Start runs a three-server cluster named "tickwire" on loopback, with its JetStream store
// under dir (a fresh temporary folder when empty), and waits until JetStream has a leader.
// Stop shuts it down; a test's cleanup, or TestMain, calls it.
func Start(dir string) (*Cluster, error) {
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
	c := &Cluster{dir: dir}
	for i := range 3 {
		o := &natsserver.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       natsserver.RANDOM_PORT,
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

func (c *Cluster) start(i int) error {
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

// waitLeader waits until a client can use JetStream: the meta leader is elected.
func (c *Cluster) waitLeader() error {
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		return err
	}
	defer nc.Close()
	deadline := time.Now().Add(readyWithin)
	for {
		// Until the meta leader is elected, JetStream answers its account info with an error.
		m, err := nc.Request("$JS.API.INFO", nil, time.Second)
		if err == nil && !strings.Contains(string(m.Data), `"error"`) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("JetStream had no leader within %v", readyWithin)
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
		if s != nil {
			out = append(out, s.ClientURL())
		} else {
			out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port))
		}
	}
	return strings.Join(out, ",")
}

// Kill shuts server i (0 to 2) down at once.
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	s := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
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
