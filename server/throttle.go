package server

import (
	"math"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// loginThrottle slows password guessing without letting a guesser lock an account's owner out.
//
// The policy:
//   - Only failed logins (invalid_credentials) cost anything. Each takes a token from the bucket
//     of the client's address (an IPv4 address, or the IPv6 /64 it belongs to, the smallest
//     block a host is given) and from the bucket of the username in any letter case, whether or
//     not such an account exists, so the throttle reveals nothing about which names are taken.
//     Successful logins cost nothing: a room of players behind one address signs in freely.
//   - While either bucket of a login is empty the login is refused with 429 and Retry-After,
//     before any password is hashed, so a throttled guess costs the server almost nothing.
//   - Buckets refill steadily (token buckets from golang.org/x/time/rate). With the defaults an
//     address may fail 45 times at once and then once every 2 s, and a username 30 times and
//     then once every 30 s: about 2 900 guesses a day at one account, however many addresses the
//     guesser has, and a burst of a few dozen wrong passwords meets 429.
//   - Lockout protection: an address that signed in to a username successfully is known for it
//     for knownFor. Logins from a known pair draw on the pair's own bucket (of the username's
//     size) instead of the username's, so guesses from elsewhere never stop the owner signing in
//     from where they did before; from a new address the owner waits at most one refill
//     interval after the guessing stops.
//   - Memory is bounded: at most maxKeys buckets and known pairs are held, the least recently
//     used dropped first, and sweep drops those that have refilled (they hold no state). Probes
//     that are refused create nothing.
type loginThrottle struct {
	addr, user limit
	entries    *lru.Cache[string, *throttleEntry]
}

// limit is one kind of bucket: its size and refill rate.
type limit struct {
	burst int
	every time.Duration
}

func (l limit) limiter() *rate.Limiter { return rate.NewLimiter(rate.Every(l.every), l.burst) }

// knownFor is how long a successful login makes its (username, address) pair known.
const knownFor = 7 * 24 * time.Hour

type throttleEntry struct {
	lim   *rate.Limiter
	known atomic.Int64 // unix nanoseconds until which the pair is known; pair entries only
}

func newLoginThrottle(cfg Config) *loginThrottle {
	c, err := lru.New[string, *throttleEntry](max(cfg.LoginTrackedKeys, 1))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &loginThrottle{
		addr:    limit{cfg.LoginAddrBurst, cfg.LoginAddrEvery},
		user:    limit{cfg.LoginAcctBurst, cfg.LoginAcctEvery},
		entries: c,
	}
}

// clientKey names a client address for throttling: an IPv4 address, or an IPv6 address's /64.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if len(ip) > 64 {
			ip = ip[:64]
		}
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// userKey names a username for throttling: its letters in lower case, as the store compares
// them, cut to a bounded length.
func userKey(name string) string {
	if len(name) > 64 {
		name = name[:64]
	}
	return strings.ToLower(name)
}

func addrEntry(addr string) string       { return "a " + addr }
func userEntry(user string) string       { return "u " + user }
func pairEntry(user, addr string) string { return "p " + user + " " + addr }

// check returns how long the client at addr must wait before trying username again: zero when
// it may try now.
func (t *loginThrottle) check(username, addr string, now time.Time) time.Duration {
	user := userKey(username)
	wait := t.wait(addrEntry(addr), now)
	if t.known(user, addr, now) {
		return max(wait, t.wait(pairEntry(user, addr), now))
	}
	return max(wait, t.wait(userEntry(user), now))
}

// fail charges one failed login to its address and to its username (or its known pair).
// Tokens may go below zero: failures that passed check together all pay.
func (t *loginThrottle) fail(username, addr string, now time.Time) {
	user := userKey(username)
	t.entry(addrEntry(addr), t.addr).lim.ReserveN(now, 1)
	if t.known(user, addr, now) {
		t.entry(pairEntry(user, addr), t.user).lim.ReserveN(now, 1)
	} else {
		t.entry(userEntry(user), t.user).lim.ReserveN(now, 1)
	}
}

// succeed marks the (username, address) pair known.
func (t *loginThrottle) succeed(username, addr string, now time.Time) {
	t.entry(pairEntry(userKey(username), addr), t.user).known.Store(now.Add(knownFor).UnixNano())
}

func (t *loginThrottle) known(user, addr string, now time.Time) bool {
	e, ok := t.entries.Get(pairEntry(user, addr))
	return ok && e.known.Load() > now.UnixNano()
}

func (t *loginThrottle) wait(key string, now time.Time) time.Duration {
	e, ok := t.entries.Get(key)
	if !ok {
		return 0
	}
	tokens := e.lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	secs := (1 - tokens) / float64(e.lim.Limit())
	return time.Duration(math.Ceil(secs * float64(time.Second)))
}

func (t *loginThrottle) entry(key string, l limit) *throttleEntry {
	if e, ok := t.entries.Get(key); ok {
		return e
	}
	e := &throttleEntry{lim: l.limiter()}
	if prev, ok, _ := t.entries.PeekOrAdd(key, e); ok {
		return prev
	}
	return e
}

// sweep drops entries that hold nothing: full buckets of pairs no longer known.
func (t *loginThrottle) sweep(now time.Time) {
	for _, k := range t.entries.Keys() {
		e, ok := t.entries.Peek(k)
		if ok && e.known.Load() <= now.UnixNano() && e.lim.TokensAt(now) >= float64(e.lim.Burst()) {
			t.entries.Remove(k)
		}
	}
}

// size reports how many entries are held.
func (t *loginThrottle) size() int { return t.entries.Len() }

// retryAfterSeconds is a wait as the whole seconds of a Retry-After header, at least 1.
func retryAfterSeconds(d time.Duration) int64 {
	return max(int64(math.Ceil(d.Seconds())), 1)
}
