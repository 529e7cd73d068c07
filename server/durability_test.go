package server_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/servertest"
)

// buildBinary builds ./tickwire from the module root into a temp folder, once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test builds the binary and needs go on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "tickwire")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command(goBin, append(args, "..")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is the server running as a child process.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *servertest.Buffer
}

// startProc starts `tickwire serve` and waits for the URL it prints.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{stderr: &servertest.Buffer{}}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Tickwire is serving at "); ok {
				found <- u
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case p.url = <-found:
		return p
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		p.cmd.Wait()
		t.Fatalf("the server did not start: %s", p.stderr.String())
		return nil
	}
}

// kill sends SIGKILL, unless the process has already been waited for: no shutdown code runs,
// nothing is flushed.
func (p *proc) kill(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Logf("kill: %v", err)
	}
	_ = p.cmd.Wait()
}

// durabilityLedger holds what the server acknowledged: accounts whose registration got 201, and
// sessions whose logout got 204 (their access and refresh tokens).
type durabilityLedger struct {
	mu         sync.Mutex
	registered []string
	loggedOut  [][2]string
	checked    int // loggedOut[:checked] were checked after an earlier restart
}

// TestDurabilityUnderSIGKILL builds the binary and runs it as a child process while clients
// register accounts (with passwords, and as guests) and log sessions out; at a random moment of each of 20 cycles the
// process gets SIGKILL and is started again on the same data folder. Every registration and
// logout whose response arrived must have survived: logged-out tokens stay refused after each
// restart, and every acknowledged account is in the database at the end.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs 20 kill cycles; not in -short")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	ledger := &durabilityLedger{}
	const cycles, workers = 20, 3

	for cycle := range cycles {
		p := startProc(t, bin, "--data", data, "--log-level", "warn", "--hash-concurrency", "2")
		checkLoggedOut(t, hc, p.url, ledger, false)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					if w == 0 {
						// Registrations hash a password; one worker is enough to keep the
						// hasher busy.
						register(ctx, hc, p.url, fmt.Sprintf("c%dw%di%d", cycle, w, i), ledger)
					} else {
						guestSession(ctx, hc, p.url, ledger)
					}
				}
			}()
		}
		time.Sleep(time.Duration(150+rng.IntN(900)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		cancel()
		wg.Wait()
	}

	p := startProc(t, bin, "--data", data, "--log-level", "warn")
	checkLoggedOut(t, hc, p.url, ledger, true)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("a SIGTERM stop did not exit 0: %v\n%s", err, p.stderr.String())
	}
	names := accountsIn(t, filepath.Join(data, "tickwire.db"))
	for _, n := range ledger.registered {
		if !names[n] {
			t.Errorf("acknowledged registration of %s was lost", n)
		}
	}
	t.Logf("%d cycles: %d acknowledged registrations and %d acknowledged logouts all survived SIGKILL",
		cycles, len(ledger.registered), len(ledger.loggedOut))
	if len(ledger.registered) < 2*cycles || len(ledger.loggedOut) < cycles {
		t.Fatalf("too little was acknowledged (%d registrations, %d logouts) for the test to mean anything",
			len(ledger.registered), len(ledger.loggedOut))
	}
}

// post sends a JSON POST with an optional bearer token.
func post(ctx context.Context, hc *http.Client, url, token, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return hc.Do(req)
}

// register registers name with a password, recording the account if the server says 201.
func register(ctx context.Context, hc *http.Client, base, name string, l *durabilityLedger) {
	resp, err := post(ctx, hc, base+"/api/v1/auth/register", "", fmt.Sprintf(`{"username":%q,"password":"durable horse"}`, name))
	if err != nil {
		return
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		l.mu.Lock()
		l.registered = append(l.registered, name)
		l.mu.Unlock()
	}
}

// guestSession makes a guest account (a new account and session, without a password hash) and
// logs it out, recording the account and then the logout as each is acknowledged.
func guestSession(ctx context.Context, hc *http.Client, base string, l *durabilityLedger) {
	resp, err := post(ctx, hc, base+"/api/v1/auth/guest", "", "{}")
	if err != nil {
		return
	}
	var pair struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if err := decodeJSON(resp, &pair); err != nil || resp.StatusCode != http.StatusOK {
		return
	}
	name, err := tokenName(pair.Access)
	if err != nil {
		return
	}
	l.mu.Lock()
	l.registered = append(l.registered, name)
	l.mu.Unlock()
	resp, err = post(ctx, hc, base+"/api/v1/auth/logout", pair.Access, "{}")
	if err != nil {
		return
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		l.mu.Lock()
		l.loggedOut = append(l.loggedOut, [2]string{pair.Access, pair.Refresh})
		l.mu.Unlock()
	}
}

// tokenName reads the name claim of a JWT, without verifying it.
func tokenName(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Name == "" {
		return "", errors.New("no name claim")
	}
	return c.Name, nil
}

// checkLoggedOut checks that the sessions logged out since the last check (or all, when all is
// set) stay ended: the access token and the refresh token are both refused.
func checkLoggedOut(t *testing.T, hc *http.Client, base string, l *durabilityLedger, all bool) {
	t.Helper()
	l.mu.Lock()
	from := l.checked
	if all {
		from = 0
	}
	todo := append([][2]string(nil), l.loggedOut[from:]...)
	l.checked = len(l.loggedOut)
	l.mu.Unlock()
	for _, s := range todo {
		st, body, _ := servertest.Call(t, hc, "GET", base+"/api/v1/me", s[0], nil)
		if st != http.StatusUnauthorized {
			t.Fatalf("an access token whose logout was acknowledged works after SIGKILL: %d %v", st, body)
		}
		st, body, _ = servertest.Call(t, hc, "POST", base+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": s[1]})
		if st != http.StatusUnauthorized {
			t.Fatalf("a refresh token whose logout was acknowledged works after SIGKILL: %d %v", st, body)
		}
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errors.New("empty body")
	}
	return json.Unmarshal(b, v)
}

// accountsIn returns every username in a database file.
func accountsIn(t *testing.T, path string) map[string]bool {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT username FROM accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	return out
}
