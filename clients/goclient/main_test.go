package goclient_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"go.uber.org/goleak"
)

// TestMain runs one real server for the package's Example (it finds it through TICKWIRE_URL)
// and, once every test and the server have stopped, checks that nothing left a goroutine.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goclient-example")
	if err != nil {
		panic(err)
	}
	cfg := server.DefaultConfig()
	cfg.Data, cfg.Addr = dir, "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Open(ctx, cfg, nil)
	if err == nil {
		err = srv.Serve(ctx, nil)
	}
	if err != nil {
		panic(err)
	}
	os.Setenv("TICKWIRE_URL", srv.URL())
	code := m.Run()
	cancel()
	_ = srv.Wait()
	os.RemoveAll(dir)
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

type serverConfig = server.Config

// proxy forwards TCP connections to a server, and can cut every connection it carries: a
// network failure, with the server still up.
type proxy struct {
	ln       net.Listener
	target   string
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	once     sync.Once
	wg       sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(in, out)
		go pipe(out, in)
	}
}

// cut closes every connection through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// count is how many connections the proxy has carried.
func (p *proxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// close stops the proxy: its port refuses from then on.
func (p *proxy) close() {
	p.once.Do(func() {
		p.ln.Close()
		p.cut()
		p.wg.Wait()
	})
}

// statuses collects what a Conn reports through Options.OnStatus.
type statuses struct {
	mu   sync.Mutex
	seen []goclient.Status
	ch   chan goclient.Status
}

func newStatuses() *statuses { return &statuses{ch: make(chan goclient.Status, 64)} }

func (s *statuses) add(st goclient.Status) {
	s.mu.Lock()
	s.seen = append(s.seen, st)
	s.mu.Unlock()
	select {
	case s.ch <- st:
	default:
	}
}

func (s *statuses) count(k goclient.StatusKind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.seen {
		if st.Kind == k {
			n++
		}
	}
	return n
}

// waitFor waits for a status of kind k and returns it.
func (s *statuses) waitFor(t *testing.T, k goclient.StatusKind, within time.Duration) goclient.Status {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case st := <-s.ch:
			if st.Kind == k {
				return st
			}
		case <-deadline:
			t.Fatalf("no %s status within %s; saw %v", k, within, s.seen)
			return goclient.Status{}
		}
	}
}

// guest signs a new guest in.
func guest(t *testing.T, ctx context.Context, api *goclient.Client) goclient.Tokens {
	t.Helper()
	tok, err := api.Guest(ctx, "")
	if err != nil {
		t.Fatalf("guest: %v", err)
	}
	return tok
}

// connectGuest connects a new guest account to ts with opts; the Conn closes when the test ends.
func connectGuest(t *testing.T, ctx context.Context, ts *servertest.Server, opts goclient.Options) *goclient.Conn {
	t.Helper()
	api := goclient.New(ts.URL())
	c, err := api.Connect(ctx, guest(t, ctx, api), opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// leakCheck fails the test if it leaves a goroutine behind: every Conn closed, every
// reconnect and refresh stopped. Idle HTTP keep-alive connections are the HTTP client's, not
// the SDK's, and are closed first.
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		goleak.VerifyNone(t, opt)
	})
}
