package server_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func wrongLogin(h *servertest.Client, name string) servertest.Reply {
	return h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": name, "password": "wrong password"})
}

func wantRateLimited(t *testing.T, what string, r servertest.Reply, most time.Duration) {
	t.Helper()
	servertest.WantError(t, what, r, 429, wire.CodeRateLimited)
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > most {
		t.Errorf("%s: Retry-After %q, want 1 to %v seconds", what, r.Header.Get("Retry-After"), most)
	}
}

// authClock is a server clock a test steps, so that throttle buckets refill only when told.
type authClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *authClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *authClock) Step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestWrongPasswordsAtOneAccountMeet429 uses the default limits: a burst of a few dozen wrong
// passwords meets 429, while the owner still signs in from where she did before; after the
// Retry-After she may try again.
func TestWrongPasswordsAtOneAccountMeet429(t *testing.T) {
	clk := &authClock{now: time.Now()}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now })
	guesser := servertest.NewClient(t, srv.URL(), "127.0.0.1")
	home := servertest.NewClient(t, srv.URL(), "127.0.0.2")
	elsewhere := servertest.NewClient(t, srv.URL(), "127.0.0.3")
	home.Register("alice", "correct horse")
	home.Login("alice", "correct horse")

	first := -1
	for i := range 40 {
		r := wrongLogin(guesser, "alice")
		if r.Status == 429 {
			first = i
			wantRateLimited(t, "guess", r, 30*time.Second)
			break
		}
		servertest.WantError(t, "guess", r, 401, wire.CodeInvalidCredentials)
	}
	if first != 30 {
		t.Fatalf("first 429 at guess %d, want 31 (the default account burst is 30)", first+1)
	}
	// Throttled: even the right password from the guesser's address waits.
	wantRateLimited(t, "right password from the guesser", guesser.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"}), 30*time.Second)
	wantRateLimited(t, "alice from a new address", elsewhere.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"}), 30*time.Second)
	home.Login("alice", "correct horse") // not locked out at home
	// Other accounts are not affected by alice's bucket.
	home.Register("bob", "correct horse")
	guesser.Login("bob", "correct horse")
	// One refill later, one more try.
	clk.Step(30 * time.Second)
	servertest.WantError(t, "a guess after the refill", wrongLogin(guesser, "alice"), 401, wire.CodeInvalidCredentials)
	wantRateLimited(t, "the next guess", wrongLogin(guesser, "alice"), 30*time.Second)
}

func TestWrongPasswordsSprayedFromOneAddressMeet429(t *testing.T) {
	clk := &authClock{now: time.Now()}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now })
	h := servertest.NewClient(t, srv.URL(), "127.0.0.4")
	first := -1
	for i := range 55 {
		r := wrongLogin(h, fmt.Sprintf("someone%d", i))
		if r.Status == 429 {
			first = i
			wantRateLimited(t, "spray", r, 2*time.Second)
			break
		}
		servertest.WantError(t, "spray", r, 401, wire.CodeInvalidCredentials)
	}
	if first != 45 {
		t.Fatalf("first 429 at guess %d, want 46 (the default address burst is 45)", first+1)
	}
	other := servertest.NewClient(t, srv.URL(), "127.0.0.5")
	servertest.WantError(t, "another address", wrongLogin(other, "someone0"), 401, wire.CodeInvalidCredentials)
}

// TestPlayersBehindOneAddressSignInFreely: twenty players behind one address, each mistyping
// once, are never throttled by the defaults.
func TestPlayersBehindOneAddressSignInFreely(t *testing.T) {
	srv := servertest.Start(t, nil)
	h := servertest.NewClient(t, srv.URL(), "")
	for i := range 20 {
		name := fmt.Sprintf("player%d", i)
		h.Register(name, "correct horse")
		if i%2 == 0 {
			servertest.WantError(t, "typo", wrongLogin(h, name), 401, wire.CodeInvalidCredentials)
		}
		h.Login(name, "correct horse")
	}
}

// TestPasswordFloodIsRefusedNotQueued: with one hashing slot and a queue of two, a flood of
// logins gets quick 429s with Retry-After, never errors or an unbounded wait.
func TestPasswordFloodIsRefusedNotQueued(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) {
		c.HashConcurrency, c.HashQueue, c.HashWait = 1, 2, 150*time.Millisecond
	})
	const n = 16
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		h := servertest.NewClient(t, srv.URL(), fmt.Sprintf("127.0.1.%d", i+1))
		wg.Go(func() {
			r := wrongLogin(h, fmt.Sprintf("flood%d", i))
			statuses[i] = r.Status
			if r.Status == 429 {
				wantRateLimited(t, "flood", r, time.Second)
			} else if r.Status != 401 {
				t.Errorf("flood: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	if !slices.Contains(statuses, 429) || !slices.Contains(statuses, 401) {
		t.Fatalf("statuses %v: want some checked (401) and some refused (429)", statuses)
	}
	running, waiting := srv.Auth().Hasher.InFlight()
	if running != 0 || waiting != 0 {
		t.Errorf("after the flood %d hashes run and %d wait", running, waiting)
	}
	h := servertest.NewClient(t, srv.URL(), "")
	h.Register("alice", "correct horse")
	h.Login("alice", "correct horse")
}

// TestUnknownUserAndWrongPasswordLookAlike: the same status and body, and medians of 20 tries
// within 20% of each other, at the real argon2id cost and the default limits. A machine busy
// with other work can push one set of 20 tries past 20%; a real difference (an unknown name
// that skips the hash costs a thousandth of a wrong password) fails every round, so the test
// allows three rounds, each from its own address at its own names.
func TestUnknownUserAndWrongPasswordLookAlike(t *testing.T) {
	srv := servertest.Start(t, nil)
	var ratios []float64
	for round := range 3 {
		h := servertest.NewClient(t, srv.URL(), fmt.Sprintf("127.0.2.%d", round+1))
		known, unknown := fmt.Sprintf("alice%d", round), fmt.Sprintf("nobody%d", round)
		h.Register(known, "correct horse")
		mw, mu, wrongBody, unknownBody := timeFailures(t, h, known, unknown, 20)
		if !bytes.Equal(wrongBody, unknownBody) {
			t.Fatalf("bodies differ: wrong password %s, unknown user %s", wrongBody, unknownBody)
		}
		ratio := float64(mw) / float64(mu)
		t.Logf("round %d: median wrong password %v, unknown user %v, ratio %.2f", round+1, mw, mu, ratio)
		if ratio >= 1/1.2 && ratio <= 1.2 {
			return
		}
		ratios = append(ratios, ratio)
	}
	t.Errorf("median ratios wrong password / unknown user %.2f over three rounds, want one within 20%%", ratios)
}

// timeFailures times n wrong logins at known and n at unknown, interleaved, and returns the
// medians and the (identical within each kind) bodies.
func timeFailures(t *testing.T, h *servertest.Client, known, unknown string, n int) (mw, mu time.Duration, wrongBody, unknownBody []byte) {
	t.Helper()
	wrongLogin(h, known) // warm the connection and both paths
	var wrong, miss []time.Duration
	try := func(name string, into *[]time.Duration, body *[]byte) {
		start := time.Now()
		r := wrongLogin(h, name)
		*into = append(*into, time.Since(start))
		servertest.WantError(t, name, r, 401, wire.CodeInvalidCredentials)
		if *body != nil && !bytes.Equal(*body, r.Body) {
			t.Fatalf("%s: body %s changed from %s", name, r.Body, *body)
		}
		*body = r.Body
	}
	for i := range n {
		if i%2 == 0 {
			try(known, &wrong, &wrongBody)
			try(unknown, &miss, &unknownBody)
		} else {
			try(unknown, &miss, &unknownBody)
			try(known, &wrong, &wrongBody)
		}
	}
	return authMedian(wrong), authMedian(miss), wrongBody, unknownBody
}

func authMedian(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestConcurrentGuessesCannotPassTogether sends 68 wrong passwords for one username at once,
// each from its own address, against a burst of 30: the budget is charged before the hash, so
// at most 30 are checked and the rest meet 429. Once the guessing stops, the owner signing in
// from a new address waits at most one refill interval.
func TestConcurrentGuessesCannotPassTogether(t *testing.T) {
	clk := &authClock{now: time.Now()}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now })
	home := servertest.NewClient(t, srv.URL(), "127.0.4.1")
	home.Register("alice", "correct horse")

	const n = 68
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		h := servertest.NewClient(t, srv.URL(), fmt.Sprintf("127.0.5.%d", i+1))
		wg.Go(func() {
			<-start
			statuses[i] = wrongLogin(h, "alice").Status
		})
	}
	close(start)
	wg.Wait()
	checked, limited := 0, 0
	for _, st := range statuses {
		switch st {
		case 401:
			checked++
		case 429:
			limited++
		default:
			t.Errorf("a guess answered %d", st)
		}
	}
	t.Logf("%d guesses checked, %d refused", checked, limited)
	if checked > 30 {
		t.Fatalf("%d concurrent guesses were checked against a burst of 30", checked)
	}
	elsewhere := servertest.NewClient(t, srv.URL(), "127.0.4.2")
	r := elsewhere.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"})
	if checked == 30 {
		wantRateLimited(t, "the owner from a new address right after", r, 30*time.Second)
	}
	clk.Step(30 * time.Second)
	elsewhere.Login("alice", "correct horse") // one refill interval later
}
