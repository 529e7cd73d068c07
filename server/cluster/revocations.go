package cluster

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
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
	ID      string `json:"id,omitempty"`    // unique to this revocation; its message id on the stream
}

// A consumer's server sends a heartbeat every consumerBeat while it has nothing to deliver,
// and the node makes the consumer again after two go missing: a consumer whose NATS server
// died (by SIGKILL, say, with the node's own link on another server) is found out within a
// second (500 ms is the least beat the client takes), not the ten seconds of its defaults.
const (
	consumerBeat   = 500 * time.Millisecond
	consumerExpiry = 4 * time.Second // how long one pull request waits; at least two beats
)

func consumeBeats() []jetstream.PullConsumeOpt {
	return []jetstream.PullConsumeOpt{jetstream.PullHeartbeat(consumerBeat), jetstream.PullExpiry(consumerExpiry)}
}

// catchUpWait is how often a node that lost its link tries again to learn the stream's end.
const catchUpWait = 250 * time.Millisecond

// revocations is this node's side of the revocations stream: a queue of revocations to
// publish, published in order and retried until JetStream has stored each, and an ordered
// consumer applying every revocation (the node's own among them) from the first one kept.
//
// Every revocation also reaches the node the moment it is published, through a plain NATS
// subscription to the stream's subject, which the client makes again within milliseconds
// of any reconnect; the consumer is the record, for the replay at start and after a cut, and
// when a NATS server dies it may take JetStream seconds to serve it again. Whichever way a
// revocation comes first applies it; the other skips it, by its ID.
type revocations struct {
	n       *Node
	stream  jetstream.Stream
	subject string

	mu    sync.Mutex
	queue []Revocation
	wake  chan struct{} // a revocation was queued
	cc    jetstream.ConsumeContext
	seq   atomic.Uint64 // stream sequence of the last revocation applied
	live  *nats.Subscription

	applyMu sync.Mutex
	heard   map[string]time.Time // revocations applied by one way and not yet come the other, by ID
}

// heardFor is how long a revocation that came one way waits to come the other before it is
// forgotten (a consumer that lags it more applies it again, which Revoked allows).
const heardFor = time.Minute

// openRevocations makes (or opens) the stream, keeping each revocation for keep or for as
// long as another node asked, whichever is longer, and applies every revocation it holds.
func openRevocations(ctx context.Context, n *Node, keep time.Duration) (*revocations, error) {
	name := n.name("tickwire_revocations")
	r := &revocations{n: n, subject: n.name("tickwire.revoked"), wake: make(chan struct{}, 1), heard: map[string]time.Time{}}
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
	if r.live, err = n.nc.Subscribe(r.subject, r.applyLive); err != nil {
		return nil, fmt.Errorf("revocations subscription: %w", err)
	}
	began := time.Now()
	cons, err := n.js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, fmt.Errorf("revocations consumer: %w", err)
	}
	if r.cc, err = cons.Consume(r.apply, consumeBeats()...); err != nil {
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

// apply applies a revocation of the stream's consumer.
func (r *revocations) apply(m jetstream.Msg) {
	var v Revocation
	if err := json.Unmarshal(m.Data(), &v); err == nil {
		r.deliver(v)
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

// applyLive applies a revocation as it is published.
func (r *revocations) applyLive(m *nats.Msg) {
	var v Revocation
	if err := json.Unmarshal(m.Data, &v); err == nil && v.ID != "" {
		r.deliver(v)
	}
}

// deliver applies v, unless it came the other way already.
func (r *revocations) deliver(v Revocation) {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	if v.ID != "" {
		if _, ok := r.heard[v.ID]; ok {
			delete(r.heard, v.ID)
			return
		}
		r.heard[v.ID] = time.Now()
	}
	if r.n.cfg.Revoked != nil {
		r.n.cfg.Revoked(v)
	}
}

// forget drops what came one way long ago and never the other.
func (r *revocations) forget(now time.Time) {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	for id, at := range r.heard {
		if now.Sub(at) > heardFor {
			delete(r.heard, id)
		}
	}
}

// catchUp returns once every revocation the stream holds now has been applied. It asks for
// the stream's end again when an answer does not come within attemptWait: a request sent
// while JetStream elects a leader (a NATS server has just died) goes unanswered.
func (r *revocations) catchUp(ctx context.Context) error {
	var info *jetstream.StreamInfo
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		info, err = r.stream.Info(ctx)
		return err
	})
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
	sweep := time.NewTicker(heardFor / 4)
	defer sweep.Stop()
	for {
		select {
		case <-r.n.ctx.Done():
			return
		case now := <-sweep.C:
			r.forget(now)
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
		_, err := r.n.js.Publish(pctx, r.subject, b, jetstream.WithMsgID(v.ID))
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
	v.Node, v.ID = n.cfg.NodeID, rand.Text()
	r := n.revs
	r.mu.Lock()
	r.queue = append(r.queue, v)
	r.mu.Unlock()
	r.signal()
}
