package auth

import (
	"context"
	"sync"
	"time"
)

// refreshGrace remembers, for Service.RefreshGrace, the pair each refresh answered, keyed by
// the refresh token it rotated, so that a client that lost the reply and presents the same
// token again from the same address is answered that pair once more rather than having its
// session ended as a reuse. It holds at most max rotations, oldest dropped first; a rotation
// still in flight is never dropped, and while max of them are, refreshes go without grace.
type refreshGrace struct {
	mu     sync.Mutex
	byOld  map[string]*rotation
	byNext map[string]*rotation // by the refresh token each handed out
	ring   []*rotation          // in the order they began; head is the oldest
	head   int
	n      int
}

// rotation is one refresh, from its start to a while after it answered.
type rotation struct {
	old, addr string
	next      string        // the refresh token it handed out; set when it finished
	done      chan struct{} // closed when the refresh has answered
	// Set under refreshGrace.mu before done is closed.
	finished bool
	ok       bool
	at       time.Time
	pair     Pair
}

func (g *refreshGrace) init(max int) {
	g.byOld = make(map[string]*rotation)
	g.byNext = make(map[string]*rotation)
	g.ring = make([]*rotation, max)
}

// begin returns the rotation of refresh token old: a new one (first) that the caller must
// finish, or the one already begun by an earlier presentation; nil when there is no room.
func (g *refreshGrace) begin(old, addr string, now time.Time, grace time.Duration) (r *rotation, first bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r := g.byOld[old]; r != nil {
		return r, false
	}
	for g.n > 0 {
		front := g.ring[g.head]
		if !front.finished || (g.n < len(g.ring) && now.Sub(front.at) < grace) {
			break
		}
		g.pop()
	}
	if g.n == len(g.ring) {
		return nil, false
	}
	r = &rotation{old: old, addr: addr, done: make(chan struct{})}
	g.ring[(g.head+g.n)%len(g.ring)] = r
	g.n++
	g.byOld[old] = r
	return r, true
}

func (g *refreshGrace) pop() {
	r := g.ring[g.head]
	g.ring[g.head] = nil
	g.head = (g.head + 1) % len(g.ring)
	g.n--
	g.forget(r)
}

// forget stops answering r's retries.
func (g *refreshGrace) forget(r *rotation) {
	if g.byOld[r.old] == r {
		delete(g.byOld, r.old)
	}
	if r.next != "" && g.byNext[r.next] == r {
		delete(g.byNext, r.next)
	}
}

// finish records how the first presentation ended. A refused one is forgotten at once: a
// second presentation is then judged on its own.
func (g *refreshGrace) finish(r *rotation, p Pair, ok bool, now time.Time) {
	g.mu.Lock()
	r.finished, r.ok, r.at = true, ok, now
	if ok {
		r.pair, r.next = p, p.Refresh.Claims.ID
		g.byNext[r.next] = r
		// The token r rotated was handed out by an earlier rotation: its client has the
		// reply, so that rotation's retries are reuse from now on.
		if prev := g.byNext[r.old]; prev != nil {
			g.forget(prev)
		}
	} else {
		g.forget(r)
	}
	g.mu.Unlock()
	close(r.done)
}

// replay hands out r's pair a second and last time, if r rotated less than grace ago.
func (g *refreshGrace) replay(r *rotation, now time.Time, grace time.Duration) (Pair, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !r.ok || g.byOld[r.old] != r || now.Sub(r.at) >= grace {
		return Pair{}, false
	}
	p := r.pair
	r.pair = Pair{}
	g.forget(r)
	return p, true
}

// RefreshFrom is Refresh for a client at addr (its address, or the network it stands for).
// Presenting the refresh token that was rotated less than RefreshGrace ago, from the same
// addr, answers the pair that rotation gave once more, instead of counting as reuse: a client
// that lost the reply may retry. Once the refresh token of that pair has been used, the
// client had the reply, and the retry is reuse again. A presentation that arrives while the first is still being
// answered waits for it. Any other second presentation is reuse, and ends the session.
func (s *Service) RefreshFrom(ctx context.Context, raw, addr string) (Pair, error) {
	c, err := s.Tokens.ParseRefresh(raw)
	if err != nil {
		return Pair{}, err
	}
	if s.RefreshGrace <= 0 || s.RefreshGraceMax <= 0 || addr == "" {
		return s.refresh(ctx, c)
	}
	s.graceOnce.Do(func() { s.grace.init(s.RefreshGraceMax) })
	r, first := s.grace.begin(c.ID, addr, s.Now(), s.RefreshGrace)
	switch {
	case r == nil:
		return s.refresh(ctx, c)
	case first:
		p, err := s.refresh(ctx, c)
		s.grace.finish(r, p, err == nil, s.Now())
		return p, err
	case r.addr == addr:
		select {
		case <-r.done:
		case <-ctx.Done():
			return Pair{}, ctx.Err()
		}
		if p, ok := s.grace.replay(r, s.Now(), s.RefreshGrace); ok {
			// The session may have ended since: a logout, a ban.
			if err := s.Index.Check(p.Account.ID, p.Access.Claims.ID, c.SID); err != nil {
				return Pair{}, err
			}
			return p, nil
		}
	}
	return s.refresh(ctx, c)
}
