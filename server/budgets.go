package server

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// keyedBudget is a token bucket per key, all of one limit: what a client address or an
// account may do at once, and how fast that refills. A try is charged before it is acted on,
// all its keys at once or none, so that tries arriving together cannot pass together on one
// last token; give hands a charge back when the try turned out not to count. Safe for
// concurrent use. It remembers at most keys keys (--login-tracked-keys): one dropped as the
// least recently used starts full again, and a client would need that many addresses of its
// own to push out its own, when it has as many budgets anyway.
type keyedBudget struct {
	limit   limit
	mu      sync.Mutex
	buckets *lru.Cache[string, *bucket]
}

func newKeyedBudget(l limit, keys int) *keyedBudget {
	c, err := lru.New[string, *bucket](max(keys, 1))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &keyedBudget{limit: l, buckets: c}
}

// take charges one token to every key at now, or, when any of their buckets is empty,
// nothing: then it returns how long until all of them hold a token again.
func (b *keyedBudget) take(now time.Time, keys ...string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if bk, ok := b.buckets.Get(k); ok {
			wait = max(wait, bk.wait(b.limit, now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		bk, ok := b.buckets.Get(k)
		if !ok {
			nb := newBucket(b.limit, now)
			bk = &nb
			b.buckets.Add(k, bk)
		}
		bk.add(b.limit, now, -1)
	}
	return 0
}

// give hands back a token taken from each key.
func (b *keyedBudget) give(now time.Time, keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if bk, ok := b.buckets.Peek(k); ok {
			bk.add(b.limit, now, 1)
		}
	}
}

// sweep forgets the buckets that have refilled: they hold nothing a new one would not.
func (b *keyedBudget) sweep(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range b.buckets.Keys() {
		if bk, ok := b.buckets.Peek(k); ok && bk.level(b.limit, now) >= float64(b.limit.burst) {
			b.buckets.Remove(k)
		}
	}
}
