//go:build wsmem && linux

// What an idle authenticated socket costs the server. Run:
//
//	go test -tags wsmem -run 'TestIdleSocketMemory$' -v -timeout 15m ./server
//
// WSMEM_N sets the number of sockets (default 10000); WSMEM_HEAPPROFILE names a file for a heap
// profile taken with them open. The server runs in this process; the
// clients run in a child process (this test binary again), so that the server's RSS holds
// nothing of theirs and each process stays within its file descriptor limit.
package server_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

func wsmemN() int {
	if n, err := strconv.Atoi(os.Getenv("WSMEM_N")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// raiseFDLimit lifts the soft limit on open files to the hard one.
func raiseFDLimit(t *testing.T, need int) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < uint64(need) {
		t.Fatalf("the open file limit is %d, %d are needed", lim.Cur, need)
	}
	return lim.Cur
}

func rssKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

type memPoint struct {
	rss                  int // KiB
	heap, stack, runtime uint64
	goroutines           int
}

func measure(t *testing.T) memPoint {
	for range 3 { // stacks shrink a step per GC
		runtime.GC()
	}
	debug.FreeOSMemory()
	time.Sleep(500 * time.Millisecond)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memPoint{rss: rssKiB(t), heap: ms.HeapInuse, stack: ms.StackInuse, runtime: ms.Sys - ms.HeapSys - ms.StackSys, goroutines: runtime.NumGoroutine()}
}

func TestIdleSocketMemory(t *testing.T) {
	n := wsmemN()
	limit := raiseFDLimit(t, n+200)
	if os.Getenv("WSMEM_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	s := servertest.Start(t, func(c *server.Config) {
		c.MaxConns, c.MaxConnsPerAddr = n+10, n+10
		c.GuestAddrBurst = n + 10 // every client signs in from one address
		c.MetricsAddr = "127.0.0.1:0"
	})

	child := exec.Command(os.Args[0], "-test.run=^TestIdleSocketMemoryClients$", "-test.v")
	child.Env = append(os.Environ(), "WSMEM_URL="+s.URL(), fmt.Sprintf("WSMEM_N=%d", n))
	child.Stderr = os.Stderr
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	lines := bufio.NewScanner(stdout)
	waitFor := func(word string) {
		for lines.Scan() {
			if strings.TrimSpace(lines.Text()) == word {
				return
			}
		}
		t.Fatalf("the client process ended before %q", word)
	}
	waitFor("tokens")
	before := measure(t)
	fmt.Fprintln(stdin, "dial")
	waitFor("dialed")
	servertest.Eventually(t, time.Minute, "all sockets open", func() bool { return s.Metric(t, "tickwire_sockets_open", "") == float64(n) })
	time.Sleep(3 * time.Second) // writers of the welcome frames end, timers settle
	after := measure(t)
	if path := os.Getenv("WSMEM_HEAPPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	per := func(a, b uint64) float64 { return float64(int64(b)-int64(a)) / 1024 / float64(n) }
	rssPer := float64(after.rss-before.rss) / float64(n)
	t.Logf("%d idle authenticated sockets, open file limit %d", n, limit)
	t.Logf("RSS %d -> %d KiB: %.2f KiB per socket", before.rss, after.rss, rssPer)
	t.Logf("Go heap in use %.2f KiB, stacks %.2f KiB, runtime other %.2f KiB per socket; goroutines %d -> %d",
		per(before.heap, after.heap), per(before.stack, after.stack), per(before.runtime, after.runtime), before.goroutines, after.goroutines)
	if rssPer > 10 {
		t.Errorf("an idle socket costs %.2f KiB of RSS, want at most 10", rssPer)
	}
	fmt.Fprintln(stdin, "done")
	_ = child.Wait()
}

// TestIdleSocketMemoryClients is the client process of TestIdleSocketMemory: it signs in
// WSMEM_N guests, waits for "dial", opens a socket for each and reads its welcome, then holds
// them until "done".
func TestIdleSocketMemoryClients(t *testing.T) {
	base := os.Getenv("WSMEM_URL")
	if base == "" {
		t.Skip("the client half of TestIdleSocketMemory")
	}
	n := wsmemN()
	raiseFDLimit(t, n+200)
	api := goclient.New(base)
	tokens := make([]string, n)
	parallel(t, n, func(i int) error {
		tok, err := api.Guest(context.Background(), "")
		tokens[i] = tok.AccessToken
		return err
	})
	fmt.Println("tokens")
	in := bufio.NewScanner(os.Stdin)
	in.Scan()
	conns := make([]*websocket.Conn, n)
	d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256, HandshakeTimeout: 30 * time.Second}
	parallel(t, n, func(i int) error {
		ws, _, err := d.Dial(goclient.WebSocketURL(base), servertest.Bearer(tokens[i]))
		if err != nil {
			return err
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			return err
		}
		conns[i] = ws
		return nil
	})
	fmt.Println("dialed")
	in.Scan()
	for _, ws := range conns {
		ws.Close()
	}
}

// parallel runs f(0..n-1) on 8 goroutines and fails the test on the first error.
func parallel(t *testing.T, n int, f func(i int) error) {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}
