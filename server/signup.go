package server

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
)

// addrBudget is a per-client-address budget of an action (a registration, a guest account):
// a token bucket for each address (an IPv4 address, or an IPv6 /64), each action taking one
// token whatever its outcome, and an action that finds its bucket empty refused with 429
// rate_limited and Retry-After before it does any work. At most keys buckets are held, the
// least recently used dropped first; sweep drops those that have refilled.
type addrBudget struct {
	limit   limit
	mu      sync.Mutex
	buckets *lru.Cache[string, *bucket]
}

func newAddrBudget(burst int, every time.Duration, keys int) *addrBudget {
	c, err := lru.New[string, *bucket](max(keys, 1))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &addrBudget{limit: limit{burst, every}, buckets: c}
}

// take charges one action to addr, or returns how long to wait when its bucket is empty.
func (b *addrBudget) take(addr string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.buckets.Get(addr)
	if !ok {
		nb := newBucket(b.limit, now)
		bk = &nb
		b.buckets.Add(addr, bk)
	}
	if w := bk.wait(b.limit, now); w > 0 {
		return w
	}
	bk.add(b.limit, now, -1)
	return 0
}

// sweep drops the buckets that have refilled: they hold nothing.
func (b *addrBudget) sweep(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range b.buckets.Keys() {
		if bk, ok := b.buckets.Peek(k); ok && bk.level(b.limit, now) >= float64(b.limit.burst) {
			b.buckets.Remove(k)
		}
	}
}

// budgeted charges each request to b by its client address and refuses it with 429
// rate_limited, before it does any work, when the address has used up its budget.
func (s *Server) budgeted(b *addrBudget, message string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if wait := b.take(clientKey(c.RealIP()), s.now()); wait > 0 {
				return &auth.Error{Code: auth.CodeRateLimited, Message: message, RetryAfter: wait}
			}
			return next(c)
		}
	}
}

// deleteIdleGuests deletes the guest accounts that have not signed in for --guest-retention,
// with their sessions; their match results stay. The cutoff is never later than the access
// token lifetime ago, so that no token of a deleted guest can still be valid.
func (s *Server) deleteIdleGuests(ctx context.Context) {
	now := s.now()
	cutoff := now.Add(-max(s.cfg.GuestRetention, s.cfg.AccessTTL+auth.Leeway))
	n, err := s.db.DeleteIdleGuests(ctx, cutoff, now)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("delete idle guests", "err", err)
	}
	if n > 0 {
		s.log.Info("deleted idle guests", "guests", n, "retention", s.cfg.GuestRetention)
	}
}

// seen records a guest's sign-in (a refresh) for --guest-retention; registered accounts are
// never deleted for idleness, and cost no write.
func (s *Server) seen(ctx context.Context, a auth.Account) {
	if !a.Guest {
		return
	}
	if err := s.db.SeenAccount(context.WithoutCancel(ctx), a.ID, s.now()); err != nil {
		s.log.Warn("record a guest's sign-in", "err", err)
	}
}
