package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Revocation kinds.
const (
	RevokeSession = "session" // a session ended: logout, refresh reuse, an admin's revoke
	RevokeBan     = "ban"     // an account banned: every session of it ends
	RevokeUnban   = "unban"   // an account may sign in again
)

// Revocation is one entry of the revocations stream: what every node must refuse from now on.
type Revocation struct {
	Kind    string `json:"kind"`
	Session string `json:"session,omitempty"`
	Account string `json:"account"`
	Reason  string `json:"reason,omitempty"`
	Until   int64  `json:"until,omitempty"` // unix ms when the session's last access token expires
	Node    string `json:"node"`            // the node it was published by
}

// catchUpWait is how often a node that lost its link tries again to learn the stream's end.
const catchUpWait = 250 * time.Millisecond

// revocations is this node's side of the revocations stream: a queue of revocations to
// publish, published in order and retried until JetStream has stored each, and an ordered
// consumer applying every revocation (the node's own among them) from the first one kept.
type revocations struct {
	n       *Node
	stream  jetstream.Stream
	subject string

	mu    sync.Mutex
	queue []Revocation
	wake  chan struct{} // a revocation was queued
	cc    jetstream.ConsumeContext
	seq   atomic.Uint64 // stream sequence of the last revocation applied
}

// openRevocations makes (or opens) the stream, keeping each revocation for keep or for as
// long as another node asked, whichever is longer, and applies every revocation it holds.
func openRevocations(ctx context.Context, n *Node, keep time.Duration) (*revocations, error) {
	name := n.name("tickwire_revocations")
	r := &revocations{n: n, subject: n.name("tickwire.revoked"), wake: make(chan struct{}, 1)}
	if s, err := n.js.Stream(ctx, name); err == nil {
		keep = max(keep, s.CachedInfo().Config.MaxAge)
	}
	cfg := jetstream.StreamConfig{Name: name, Description: "Tickwire revocations: ended sessions and bans",
		Subjects: []string{r.subject}, MaxAge: keep, Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld}
	s, err := replicatedStream(ctx, n.js, cfg)
	if err != nil {
		return nil, err
	}
	r.stream = s
	began := time.Now()
	cons, err := n.js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, fmt.Errorf("revocations consumer: %w", err)
	}
	if r.cc, err = cons.Consume(r.apply); err != nil {
		return nil, fmt.Errorf("revocations consumer: %w", err)
	}
	if err := r.catchUp(ctx); err != nil {
		r.cc.Stop()
		return nil, fmt.Errorf("replay revocations: %w", err)
	}
	n.caught.Store(true)
	n.counts.replayed(time.Since(began))
	return r, nil
}

func (r *revocations) apply(m jetstream.Msg) {
	var v Revocation
	if err := json.Unmarshal(m.Data(), &v); err == nil && r.n.cfg.Revoked != nil {
		r.n.cfg.Revoked(v)
	}
	live := r.n.caught.Load() && !r.n.counts.replaying.Load()
	if meta, err := m.Metadata(); err == nil {
		r.seq.Store(meta.Sequence.Stream)
		if live {
			r.n.counts.delivery.observe(time.Since(meta.Timestamp))
		}
	}
	if live {
		r.n.counts.revLive.Add(1)
	} else {
		r.n.counts.revReplayed.Add(1)
	}
}

// catchUp returns once every revocation the stream holds now has been applied.
func (r *revocations) catchUp(ctx context.Context) error {
	info, err := r.stream.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.Msgs == 0 {
		return nil
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for r.seq.Load() < info.State.LastSeq {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// run publishes what is queued, and catches up again after every return of the link, until
// the node closes.
func (r *revocations) run(relinked <-chan struct{}) {
	for {
		select {
		case <-r.n.ctx.Done():
			return
		case <-r.wake:
			r.flush(r.n.ctx)
		case <-relinked:
			began := time.Now()
			for r.n.ctx.Err() == nil {
				ctx, cancel := context.WithTimeout(r.n.ctx, setupWait)
				err := r.catchUp(ctx)
				cancel()
				if err == nil {
					r.n.caught.Store(true)
					r.n.counts.replayed(time.Since(began))
					r.n.log.Info("revocations caught up after the link came back", "seq", r.seq.Load())
					break
				}
				select {
				case <-r.n.ctx.Done():
				case <-time.After(catchUpWait):
				}
			}
			r.flush(r.n.ctx)
		}
	}
}

// flush publishes the queue in order; what fails stays queued for the next wake or return
// of the link.
func (r *revocations) flush(ctx context.Context) {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		v := r.queue[0]
		r.mu.Unlock()
		b, _ := json.Marshal(v)
		pctx, cancel := context.WithTimeout(ctx, putWait)
		_, err := r.n.js.Publish(pctx, r.subject, b)
		cancel()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				r.n.log.Warn("publish a revocation; kept to try again", "kind", v.Kind, "err", err)
			}
			// Try again soon, or when the link returns.
			time.AfterFunc(catchUpWait, func() { r.signal() })
			return
		}
		r.mu.Lock()
		r.queue = r.queue[1:]
		r.mu.Unlock()
		r.n.counts.revPublished.Add(1)
	}
}

func (r *revocations) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Revoke tells every node of v, after this node has applied it itself. It does not block:
// v is queued and published in order, again and again until JetStream has stored it.
func (n *Node) Revoke(v Revocation) {
	v.Node = n.cfg.NodeID
	r := n.revs
	r.mu.Lock()
	r.queue = append(r.queue, v)
	r.mu.Unlock()
	r.signal()
}
