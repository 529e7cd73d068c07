package cluster

import (
	"sync/atomic"
	"time"
)

// Stats are a node's figures of its control plane, as the server's /metrics shows them: the
// state of its link, and the counts of what went through it since the node opened. Counters
// only grow.
type Stats struct {
	Connected bool // the link to NATS is up
	CutOff    bool // the link has been down longer than the grace
	// LinkDown is how long the link has been down, 0 while it is up.
	LinkDown time.Duration
	// Reconnects counts the returns of the link after it went down.
	Reconnects uint64
	// SinceHeartbeat is the time since this node's directory entry was last stored.
	SinceHeartbeat               time.Duration
	Heartbeats, HeartbeatsFailed uint64
	// Nodes counts the live nodes, this one among them; RemoteLobbies the lobbies, public or
	// private, not closed, of the other live nodes.
	Nodes, RemoteLobbies int

	// RevocationsLive and RevocationsReplayed count the revocations of the stream applied on
	// this node (its own among them): as they came, or while catching up at start or after
	// the link returned.
	RevocationsLive, RevocationsReplayed uint64
	// RevocationsPublished counts the revocations of this node that JetStream stored;
	// RevocationsUnpublished is how many wait to be published now.
	RevocationsPublished   uint64
	RevocationsUnpublished int
	// RevocationDelivery is how long the revocations applied live took from being stored on
	// the stream to being applied here (NATS's clock against this node's).
	RevocationDelivery Histogram
	// Replays counts the catch-ups with the revocations stream; LastReplay is how long the
	// last one took.
	Replays    uint64
	LastReplay time.Duration

	// Served counts the forwarded requests this database node answered; ServedBusy those it
	// refused because forwardConcurrency were being served; Serving is how many are being
	// served now.
	Served, ServedBusy uint64
	Serving            int

	// ResultsRecorded counts the results this database node took from the stream and
	// recorded (a result delivered again counts again, though the store keeps it once);
	// ResultsFailed those whose recording failed (offered again); ResultsRedelivered the
	// deliveries of a result delivered before.
	ResultsRecorded, ResultsFailed, ResultsRedelivered uint64
	// ResultsPending is how many results were left in the stream behind the last one taken.
	ResultsPending uint64
}

// Histogram is a distribution of durations: Counts[i] is how many were at most Bounds[i]
// (cumulative), Count how many in all, Sum their sum.
type Histogram struct {
	Bounds []time.Duration
	Counts []uint64
	Count  uint64
	Sum    time.Duration
}

// deliveryBounds are the bounds of RevocationDelivery: a few milliseconds on a LAN, the
// contract's second, and worse.
var deliveryBounds = [...]time.Duration{time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 10 * time.Second}

// durations counts durations in the buckets of deliveryBounds, with atomics.
type durations struct {
	buckets [len(deliveryBounds) + 1]atomic.Uint64 // one per bound, and one past the last; not cumulative
	sum     atomic.Int64                           // ns
}

func (h *durations) observe(d time.Duration) {
	d = max(d, 0) // clocks apart
	i := 0
	for i < len(deliveryBounds) && d > deliveryBounds[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sum.Add(int64(d))
}

func (h *durations) read() Histogram {
	out := Histogram{Bounds: deliveryBounds[:], Counts: make([]uint64, len(deliveryBounds)), Sum: time.Duration(h.sum.Load())}
	for i := range h.buckets {
		out.Count += h.buckets[i].Load()
		if i < len(out.Counts) {
			out.Counts[i] = out.Count
		}
	}
	return out
}

// counters are the figures of Stats that the control plane counts as it goes, each an atomic
// so that counting costs the path that counts next to nothing.
type counters struct {
	lastBeat                            atomic.Int64 // unix ns of the last stored heartbeat
	beats, beatsFailed                  atomic.Uint64
	revLive, revReplayed, revPublished  atomic.Uint64
	replays                             atomic.Uint64
	delivery                            durations    // of live revocations
	lastReplay                          atomic.Int64 // ns
	served, servedBusy                  atomic.Uint64
	serving                             atomic.Int64
	recorded, recordFailed, redelivered atomic.Uint64
	resultsPending                      atomic.Uint64
	// replaying is set from the moment the link goes down until the catch-up after its
	// return: a revocation applied meanwhile is one the node missed, counted as replayed
	// even when the consumer delivers it before the node has heard that the link is back.
	replaying atomic.Bool
}

// replayed records a catch-up with the revocations stream that took d.
func (c *counters) replayed(d time.Duration) {
	c.replaying.Store(false)
	c.replays.Add(1)
	c.lastReplay.Store(int64(d))
}

// beat records a stored heartbeat.
func (c *counters) beat() {
	c.beats.Add(1)
	c.lastBeat.Store(time.Now().UnixNano())
}

// Stats reads the node's figures; it takes a few locks briefly and is meant for a scrape,
// not for a hot path.
func (n *Node) Stats() Stats {
	c := &n.counts
	st := Stats{
		Connected:            n.nc.IsConnected(),
		Reconnects:           n.nc.Stats().Reconnects,
		Heartbeats:           c.beats.Load(),
		HeartbeatsFailed:     c.beatsFailed.Load(),
		RevocationsLive:      c.revLive.Load(),
		RevocationsReplayed:  c.revReplayed.Load(),
		RevocationsPublished: c.revPublished.Load(),
		RevocationDelivery:   c.delivery.read(),
		Replays:              c.replays.Load(),
		LastReplay:           time.Duration(c.lastReplay.Load()),
		Served:               c.served.Load(),
		ServedBusy:           c.servedBusy.Load(),
		Serving:              int(c.serving.Load()),
		ResultsRecorded:      c.recorded.Load(),
		ResultsFailed:        c.recordFailed.Load(),
		ResultsRedelivered:   c.redelivered.Load(),
		ResultsPending:       c.resultsPending.Load(),
	}
	if at := c.lastBeat.Load(); at != 0 {
		st.SinceHeartbeat = time.Since(time.Unix(0, at))
	}
	n.mu.Lock()
	if !n.cutSince.IsZero() {
		st.LinkDown = time.Since(n.cutSince)
		st.CutOff = st.LinkDown > n.cfg.Grace
	}
	n.mu.Unlock()
	if r := n.revs; r != nil {
		r.mu.Lock()
		st.RevocationsUnpublished = len(r.queue)
		r.mu.Unlock()
	}
	if d := n.dir; d != nil {
		st.Nodes = len(n.Nodes())
		now := time.Now()
		d.mu.RLock()
		for _, l := range d.remote {
			if l.State != "closed" && d.aliveLocked(l.Node, now) {
				st.RemoteLobbies++
			}
		}
		d.mu.RUnlock()
	}
	return st
}
