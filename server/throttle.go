package server

import (
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// loginThrottle slows password guessing without letting a guesser lock an account's owner out.
//
// The policy:
//   - Every login attempt takes a token, before its password is hashed, from the bucket of the
//     client's address (an IPv4 address, or the IPv6 /64 it belongs to, the smallest block a
//     host is given) and from the bucket of the username in any letter case, whether or not
//     such an account exists, so the throttle reveals nothing about which names are taken.
//     Both tokens are taken at once under one lock, or neither: attempts that arrive together
//     cannot pass together on the same last token.
//   - While either bucket of a login is empty the login is refused with 429 and Retry-After,
//     before any password is hashed and without taking anything, so a throttled guess costs
//     the server almost nothing and pushes no bucket below empty.
//   - A failed login (invalid_credentials) keeps its tokens; nothing is refunded. Any other
//     outcome gives them back: successful logins cost nothing, so a room of players behind one
//     address signs in freely, and neither does a check the server could not make.
//   - Buckets refill steadily. With the defaults an address may fail 45 times at once and then
//     once every 2 s, and a username 30 times and then once every 30 s: about 2 900 guesses a
//     day at one account, however many addresses the guesser has, and a burst of a few dozen
//     wrong passwords meets 429.
//   - Lockout protection: an address that signed in to a username successfully is known for it
//     for knownFor. Logins from a known pair draw on the pair's own bucket (of the username's
//     size) instead of the username's, so guesses from elsewhere never stop the owner signing in
//     from where they did before. Since no bucket ever goes below empty, the owner from a new
//     address waits at most one refill interval after the guessing stops.
//   - Memory is bounded: at most maxKeys buckets and known pairs are held, the least recently
//     used dropped first, and sweep drops those that have refilled (they hold no state). Probes
//     that are refused create nothing.
type loginThrottle struct {
	addr, user limit
	mu         sync.Mutex // guards every entry's bucket and known
	entries    *lru.Cache[string, *throttleEntry]
}

// limit is one kind of bucket: its size and refill rate.
type limit struct {
	burst int
	every time.Duration
}

// bucket is a token bucket of a limit: tokens at time at, refilled one every l.every up to
// l.burst. Unlike rate.Limiter's, a token taken can be given back.
type bucket struct {
	tokens float64
	at     time.Time
}

func newBucket(l limit, now time.Time) bucket { return bucket{tokens: float64(l.burst), at: now} }

func (b *bucket) level(l limit, now time.Time) float64 {
	t := b.tokens
	if now.After(b.at) {
		t += float64(now.Sub(b.at)) / float64(l.every)
	}
	return min(t, float64(l.burst))
}

func (b *bucket) add(l limit, now time.Time, n float64) {
	b.tokens = min(b.level(l, now)+n, float64(l.burst))
	b.at = now
}

// wait is how long until the bucket holds a whole token.
func (b *bucket) wait(l limit, now time.Time) time.Duration {
	lvl := b.level(l, now)
	if lvl >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - lvl) * float64(l.every)))
}

// knownFor is how long a successful login makes its (username, address) pair known.
const knownFor = 7 * 24 * time.Hour

type throttleEntry struct {
	limit limit
	b     bucket
	known int64 // unix nanoseconds until which the pair is known; pair entries only
}

// loginCharge is what one login attempt took: the entries it drew a token from.
type loginCharge struct {
	entries [2]*throttleEntry
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

// userBucketKey is the entry a login of user from addr draws on besides its address's: the
// known pair's, or the username's.
func (t *loginThrottle) userBucketKey(user, addr string, now time.Time) string {
	if t.knownLocked(user, addr, now) {
		return pairEntry(user, addr)
	}
	return userEntry(user)
}

// check returns how long the client at addr must wait before trying username again: zero when
// it may try now. It takes nothing.
func (t *loginThrottle) check(username, addr string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	user := userKey(username)
	return max(t.waitLocked(addrEntry(addr), now), t.waitLocked(t.userBucketKey(user, addr, now), now))
}

// begin charges a login attempt before its password is checked: one token from its address's
// bucket and one from its username's (or its known pair's), both or neither. When either is
// empty it takes nothing and returns how long to wait.
func (t *loginThrottle) begin(username, addr string, now time.Time) (loginCharge, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	user := userKey(username)
	ak, uk := addrEntry(addr), t.userBucketKey(user, addr, now)
	if w := max(t.waitLocked(ak, now), t.waitLocked(uk, now)); w > 0 {
		return loginCharge{}, w
	}
	a, u := t.entryLocked(ak, t.addr, now), t.entryLocked(uk, t.user, now)
	a.b.add(a.limit, now, -1)
	u.b.add(u.limit, now, -1)
	return loginCharge{entries: [2]*throttleEntry{a, u}}, 0
}

// refund gives back what begin took, for an attempt that did not fail on its password.
func (t *loginThrottle) refund(c loginCharge, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range c.entries {
		if e != nil {
			e.b.add(e.limit, now, 1)
		}
	}
}

// succeed refunds a successful login's charge and marks its (username, address) pair known.
func (t *loginThrottle) succeed(c loginCharge, username, addr string, now time.Time) {
	t.refund(c, now)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entryLocked(pairEntry(userKey(username), addr), t.user, now).known = now.Add(knownFor).UnixNano()
}

func (t *loginThrottle) known(user, addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.knownLocked(user, addr, now)
}

func (t *loginThrottle) knownLocked(user, addr string, now time.Time) bool {
	e, ok := t.entries.Get(pairEntry(user, addr))
	return ok && e.known > now.UnixNano()
}

func (t *loginThrottle) waitLocked(key string, now time.Time) time.Duration {
	e, ok := t.entries.Get(key)
	if !ok {
		return 0
	}
	return e.b.wait(e.limit, now)
}

func (t *loginThrottle) entryLocked(key string, l limit, now time.Time) *throttleEntry {
	if e, ok := t.entries.Get(key); ok {
		return e
	}
	e := &throttleEntry{limit: l, b: newBucket(l, now)}
	t.entries.Add(key, e)
	return e
}

// sweep drops entries that hold nothing: full buckets of pairs no longer known.
func (t *loginThrottle) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range t.entries.Keys() {
		e, ok := t.entries.Peek(k)
		if ok && e.known <= now.UnixNano() && e.b.level(e.limit, now) >= float64(e.limit.burst) {
			t.entries.Remove(k)
		}
	}
}

// size reports how many entries are held.
func (t *loginThrottle) size() int { return t.entries.Len() }
