package server

import (
	"fmt"
	"testing"
	"time"
)

func testThrottle(keys int) *loginThrottle {
	cfg := DefaultConfig()
	cfg.LoginAddrBurst, cfg.LoginAddrEvery = 5, 2*time.Second
	cfg.LoginAcctBurst, cfg.LoginAcctEvery = 3, 30*time.Second
	cfg.LoginTrackedKeys = keys
	return newLoginThrottle(cfg)
}

func TestThrottleChargesFailuresOnly(t *testing.T) {
	th := testThrottle(1000)
	now := time.Unix(1000, 0)
	for range 100 {
		if w := th.check("alice", "10.0.0.1", now); w != 0 {
			t.Fatalf("a login was throttled with no failures: %v", w)
		}
		th.succeed(loginCharge{}, "alice", "10.0.0.1", now)
	}
	// Three failures at one username from anywhere exhaust it; the fourth waits a refill.
	for i := range 3 {
		th.begin("bob", fmt.Sprintf("10.0.1.%d", i), now)
	}
	w := th.check("Bob", "10.0.9.9", now)
	if w <= 29*time.Second || w > 30*time.Second {
		t.Fatalf("wait after the username's burst = %v, want about 30 s", w)
	}
	if w := th.check("bob", "10.0.9.9", now.Add(30*time.Second)); w != 0 {
		t.Fatalf("a username still throttled after one refill: %v", w)
	}
	// A username that was never charged is untouched by bob's.
	if w := th.check("carol", "10.0.9.9", now); w != 0 {
		t.Errorf("carol throttled: %v", w)
	}
}

func TestThrottlePerAddress(t *testing.T) {
	th := testThrottle(1000)
	now := time.Unix(1000, 0)
	for i := range 5 {
		th.begin(fmt.Sprintf("user%d", i), "10.0.0.1", now)
	}
	if w := th.check("someoneelse", "10.0.0.1", now); w <= time.Second || w > 2*time.Second {
		t.Fatalf("wait after the address's burst = %v, want about 2 s", w)
	}
	if w := th.check("someoneelse", "10.0.0.2", now); w != 0 {
		t.Errorf("another address throttled: %v", w)
	}
	// IPv6: one /64 is one client.
	a, b := clientKey("2001:db8:1:2::1"), clientKey("2001:db8:1:2:ffff::9")
	if a != b || a == clientKey("2001:db8:1:3::1") {
		t.Errorf("IPv6 keys %q %q do not group by /64", a, b)
	}
	if clientKey("::ffff:10.0.0.1") != "10.0.0.1" {
		t.Errorf("an IPv4-mapped address is not its IPv4 address")
	}
	for i := range 5 {
		th.begin(fmt.Sprintf("v6user%d", i), clientKey(fmt.Sprintf("2001:db8::%x", i+1)), now)
	}
	if w := th.check("x", clientKey("2001:db8::abcd"), now); w == 0 {
		t.Error("a /64 spreading its guesses over addresses was not throttled")
	}
}

// TestThrottleDoesNotLockTheOwnerOut: guesses at alice from elsewhere exhaust her username's
// bucket, but an address she signed in from before has its own.
func TestThrottleDoesNotLockTheOwnerOut(t *testing.T) {
	th := testThrottle(1000)
	now := time.Unix(1000, 0)
	th.succeed(loginCharge{}, "alice", "192.0.2.7", now) // alice at home
	for i := range 3 {
		th.begin("alice", fmt.Sprintf("198.51.100.%d", i), now) // a guesser elsewhere
	}
	if w := th.check("alice", "198.51.100.50", now); w == 0 {
		t.Fatal("the guesser is not throttled")
	}
	if w := th.check("alice", "192.0.2.7", now); w != 0 {
		t.Fatalf("alice is locked out at home: %v", w)
	}
	// Someone at alice's address guessing meets the pair's own bucket.
	for range 3 {
		th.begin("alice", "192.0.2.7", now)
	}
	if w := th.check("alice", "192.0.2.7", now); w == 0 {
		t.Error("guessing from a known address is not throttled")
	}
	// A known pair lapses.
	later := now.Add(knownFor + time.Hour)
	th.begin("alice", "192.0.2.7", later)
	th.begin("alice", "192.0.2.7", later)
	if th.known("alice", "192.0.2.7", later) {
		t.Error("a pair is still known after knownFor")
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	const keys = 64
	th := testThrottle(keys)
	now := time.Unix(1000, 0)
	for i := range 10_000 {
		th.begin(fmt.Sprintf("user%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
		th.succeed(loginCharge{}, fmt.Sprintf("user%d", i), "10.0.0.1", now)
	}
	if n := th.size(); n > keys {
		t.Fatalf("%d entries held, cap %d", n, keys)
	}
	// Refused probes create nothing.
	th2 := testThrottle(keys)
	for i := range 1000 {
		th2.check(fmt.Sprintf("probe%d", i), "10.0.0.1", now)
	}
	if n := th2.size(); n != 0 {
		t.Errorf("checks alone created %d entries", n)
	}
	// Sweep drops what has refilled and is not known.
	th3 := testThrottle(keys)
	th3.begin("bob", "10.0.0.1", now)
	th3.succeed(loginCharge{}, "carol", "10.0.0.2", now)
	th3.sweep(now.Add(time.Hour))
	if n := th3.size(); n != 1 {
		t.Errorf("after sweep %d entries, want 1 (carol's known pair)", n)
	}
	th3.sweep(now.Add(knownFor + time.Hour))
	if n := th3.size(); n != 0 {
		t.Errorf("after the pair lapsed %d entries, want 0", n)
	}
}

// TestThrottleRefusalsCostNothing: attempts refused while a bucket is empty take nothing, so
// however long the guessing went on, a new address waits at most one refill after it stops;
// a success gives its tokens back.
func TestThrottleRefusalsCostNothing(t *testing.T) {
	th := testThrottle(1000)
	now := time.Unix(1000, 0)
	for i := range 1000 {
		th.begin("alice", fmt.Sprintf("10.1.%d.%d", i/250, i%250), now)
	}
	if w := th.check("alice", "10.9.9.9", now); w <= 0 || w > 30*time.Second {
		t.Fatalf("after 1000 guesses the owner waits %v, want at most one refill (30 s)", w)
	}
	if w := th.check("alice", "10.9.9.9", now.Add(30*time.Second)); w != 0 {
		t.Fatalf("one refill after the guessing the owner still waits %v", w)
	}
	c, w := th.begin("dave", "10.2.0.1", now)
	if w != 0 {
		t.Fatal(w)
	}
	th.succeed(c, "dave", "10.2.0.1", now)
	for i := range 5 { // the address's whole burst is still there
		if _, w := th.begin(fmt.Sprintf("x%d", i), "10.2.0.1", now); w != 0 {
			t.Fatalf("attempt %d after a refunded success waits %v", i+1, w)
		}
	}
}
