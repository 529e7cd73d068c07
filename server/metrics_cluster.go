package server

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
)

// clusterMetrics are the series of a node in a cluster, registered with the server's own
// when it joins one (a server without --nats has none of them). What server/cluster counts
// is read from its Stats at scrape; what this package sees as it happens (forwarded requests,
// moved answers, results handed to the stream) is counted here. No label names a lobby, an
// account or a node: the labels take a few fixed values.
type clusterMetrics struct {
	forwardOK, forwardUnavailable, forwardError prometheus.Counter
	forwardSeconds                              prometheus.Histogram
	movedByID, movedByCode, movedQuick          prometheus.Counter
	resultsPublished, resultsLost               prometheus.Counter
}

// newClusterMetrics registers the cluster's series on s's registry; s.cluster is open.
func newClusterMetrics(s *Server) *clusterMetrics {
	reg := s.metrics.reg
	m := &clusterMetrics{}
	v := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tickwire", Subsystem: "cluster", Name: name, Help: help}, labels)
		reg.MustRegister(c)
		return c
	}
	f := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tickwire", Subsystem: "cluster", Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	fw := v("forwarded_total", "Requests this game node forwarded to the database node, by outcome: ok (answered, whatever "+
		"its status), unavailable (no database node answered: the client got 503), error.", "outcome")
	m.forwardOK, m.forwardUnavailable, m.forwardError = fw.WithLabelValues("ok"), fw.WithLabelValues("unavailable"), fw.WithLabelValues("error")
	// A forwarded request takes a NATS round trip and the route's own time (a login hashes a
	// password): from a millisecond to the 30 s a forward may wait.
	m.forwardSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tickwire", Subsystem: "cluster", Name: "forward_seconds",
		Help: "How long requests forwarded to the database node took, answer or not.", Buckets: prometheus.ExponentialBuckets(0.001, 3, 10)})
	reg.MustRegister(m.forwardSeconds)
	mv := v("moved_total", "Joins answered moved to the node hosting the lobby, by how the lobby was named: id, code or quick.", "by")
	m.movedByID, m.movedByCode, m.movedQuick = mv.WithLabelValues("id"), mv.WithLabelValues("code"), mv.WithLabelValues("quick")
	m.resultsPublished = f("results_published_total", "Finished rounds this game node stored on the results stream for the database node.")
	m.resultsLost = f("results_publish_failed_total", "Finished rounds this game node could not store on the results stream before giving up: lost.")
	reg.MustRegister(&clusterCollector{s: s})
	return m
}

// forwarded counts a request forwarded at start whose Forward returned err.
func (m *clusterMetrics) forwarded(start time.Time, err error) {
	if m == nil {
		return
	}
	m.forwardSeconds.Observe(time.Since(start).Seconds())
	switch {
	case errors.Is(err, cluster.ErrNoDatabase):
		m.forwardUnavailable.Inc()
	case err != nil:
		m.forwardError.Inc()
	default:
		m.forwardOK.Inc()
	}
}

// moved counts a join answered moved.
func (m *clusterMetrics) moved(req wire.Join) {
	if m == nil {
		return
	}
	switch {
	case req.Lobby != "":
		m.movedByID.Inc()
	case req.Code != "":
		m.movedByCode.Inc()
	default:
		m.movedQuick.Inc()
	}
}

// published counts a round handed to the results stream, or lost when err is not nil.
func (m *clusterMetrics) published(err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.resultsLost.Inc()
		return
	}
	m.resultsPublished.Inc()
}

// clusterCollector reads the node's Stats once a scrape. (The revocations a node holds are
// tickwire_revocations_held, alone or in a cluster.)
type clusterCollector struct{ s *Server }

func clusterDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("tickwire_cluster_"+name, help, labels, nil)
}

var (
	descConnected      = clusterDesc("connected", "1 while the link to NATS is up, else 0.")
	descCutOff         = clusterDesc("cut_off", "1 while the link to NATS has been down longer than --cluster-grace (the node refuses new sockets and fails /readyz), else 0.")
	descRefusing       = clusterDesc("refusing", "1 while the node refuses new sockets for its cluster: cut off past the grace, catching up with the revocations it missed, or (a game node) without the public keys yet.")
	descLinkDown       = clusterDesc("link_down_seconds", "How long the link to NATS has been down, 0 while it is up.")
	descReconnects     = clusterDesc("reconnects_total", "Returns of the link to NATS after it went down.")
	descSinceBeat      = clusterDesc("heartbeat_age_seconds", "Time since this node's directory entry was last stored; past 6 s the other nodes drop it and its lobbies.")
	descBeats          = clusterDesc("heartbeats_total", "Directory heartbeats of this node, by result (ok, failed).", "result")
	descNodes          = clusterDesc("nodes", "Live nodes in this node's copy of the directory, this one among them.")
	descRemoteLobbies  = clusterDesc("remote_lobbies", "Lobbies of the other live nodes in this node's copy of the directory, public or private, not closed.")
	descRevApplied     = clusterDesc("revocations_applied_total", "Revocations of the stream applied on this node (its own among them), by source: live as they came, replay while catching up at start or after the link returned.", "source")
	descRevPublished   = clusterDesc("revocations_published_total", "Revocations of this node (logouts, bans, unbans, refresh reuse) stored on the stream for every node.")
	descRevUnpublished = clusterDesc("revocations_unpublished", "Revocations of this node waiting to be stored on the stream: the other nodes do not know of them yet.")
	descDelivery       = clusterDesc("revocation_delivery_seconds", "How long the revocations applied live took from being stored on the stream to being applied on this node (NATS's clock against this node's).")
	descReplays        = clusterDesc("revocations_replays_total", "Catch-ups with the revocations stream, at start and after every return of the link.")
	descReplaySeconds  = clusterDesc("revocations_replay_seconds", "How long the last catch-up with the revocations stream took.")
	descServed         = clusterDesc("served_total", "Requests forwarded by game nodes that this database node answered, by result: ok, or busy (refused 503 because 256 were being served).", "result")
	descServing        = clusterDesc("serving", "Requests forwarded by game nodes that this database node is serving now (at most 256).")
	descRecorded       = clusterDesc("results_recorded_total", "Results this database node took from the results stream and recorded (a round delivered again counts again; the store keeps it once).")
	descRecordFailed   = clusterDesc("results_record_failed_total", "Results from the stream whose recording failed on this database node; each is offered again.")
	descRedelivered    = clusterDesc("results_redelivered_total", "Deliveries to this database node of a result delivered before (not acknowledged in time, or failed).")
	descResultsPending = clusterDesc("results_pending", "Results left in the stream behind the last one this database node took.")
)

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnected, descCutOff, descRefusing, descLinkDown, descReconnects, descSinceBeat,
		descBeats, descNodes, descRemoteLobbies, descRevApplied, descRevPublished, descRevUnpublished, descDelivery, descReplays,
		descReplaySeconds, descServed, descServing, descRecorded, descRecordFailed, descRedelivered,
		descResultsPending} {
		ch <- d
	}
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.s.cluster
	st := n.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descConnected, oneIf(st.Connected))
	gauge(descCutOff, oneIf(st.CutOff))
	gauge(descRefusing, oneIf(n.Refusing()))
	gauge(descLinkDown, st.LinkDown.Seconds())
	counter(descReconnects, st.Reconnects)
	gauge(descSinceBeat, st.SinceHeartbeat.Seconds())
	counter(descBeats, st.Heartbeats, "ok")
	counter(descBeats, st.HeartbeatsFailed, "failed")
	gauge(descNodes, float64(st.Nodes))
	gauge(descRemoteLobbies, float64(st.RemoteLobbies))
	counter(descRevApplied, st.RevocationsLive, "live")
	counter(descRevApplied, st.RevocationsReplayed, "replay")
	counter(descRevPublished, st.RevocationsPublished)
	gauge(descRevUnpublished, float64(st.RevocationsUnpublished))
	h := st.RevocationDelivery
	buckets := make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		buckets[b.Seconds()] = h.Counts[i]
	}
	ch <- prometheus.MustNewConstHistogram(descDelivery, h.Count, h.Sum.Seconds(), buckets)
	counter(descReplays, st.Replays)
	gauge(descReplaySeconds, st.LastReplay.Seconds())
	counter(descServed, st.Served, "ok")
	counter(descServed, st.ServedBusy, "busy")
	gauge(descServing, float64(st.Serving))
	counter(descRecorded, st.ResultsRecorded)
	counter(descRecordFailed, st.ResultsFailed)
	counter(descRedelivered, st.ResultsRedelivered)
	gauge(descResultsPending, float64(st.ResultsPending))
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
