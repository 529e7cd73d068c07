package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickwire/tickwire/auth"
)

// metrics are the server's Prometheus series, on a registry of its own so that several servers
// can run in one process (as the tests do).
type metrics struct {
	reg              *prometheus.Registry
	framesIn         prometheus.Counter
	framesOut        prometheus.Counter
	bytesIn          prometheus.Counter
	bytesOut         prometheus.Counter
	refusals         *prometheus.CounterVec
	closes           *prometheus.CounterVec
	reauthOK         prometheus.Counter
	reauthRefused    prometheus.Counter
	kicks            *prometheus.CounterVec
	slowCloses       prometheus.Counter
	dropped          prometheus.Counter
	snapshotsSkipped prometheus.Counter
	tickSeconds      prometheus.Histogram
	tickLateness     prometheus.Histogram
	cluster          *clusterMetrics // nil without --nats (metrics_cluster.go)
}

// closed counts a close the server started. Closes are rare next to frames, so the label
// lookup is paid here rather than kept as handles.
func (m *metrics) closed(code int, reason string) {
	m.closes.WithLabelValues(strconv.Itoa(code), reason).Inc()
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tickwire", Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	v := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tickwire", Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.framesIn = f("frames_in_total", "Frames received from sockets.")
	m.framesOut = f("frames_out_total", "Frames sent to sockets.")
	m.bytesIn = f("bytes_in_total", "Message bytes received from sockets (WebSocket payloads, without framing).")
	m.bytesOut = f("bytes_out_total", "Message bytes sent to sockets (WebSocket payloads, without framing).")
	m.refusals = v("socket_refusals_total", "Socket upgrades refused, by reason.", "reason")
	m.closes = v("socket_closes_total", "Sockets closed by the server, by close code and reason.", "code", "reason")
	reauths := v("reauths_total", "In-band reauthentications, by result.", "result")
	m.reauthOK, m.reauthRefused = reauths.WithLabelValues("ok"), reauths.WithLabelValues("refused")
	m.kicks = v("socket_kicks_total", "Sockets closed 4003 because their session ended, by reason (logout, ban, refresh_reuse, revoked).", "reason")
	m.slowCloses = f("slow_consumer_closes_total", "Sockets closed 4008 because they could not keep up with their frames.")
	m.dropped = f("inputs_dropped_total", "Inputs dropped because a seat's queue was full.")
	m.snapshotsSkipped = f("snapshots_superseded_total", "Snapshots replaced by a newer one before they were written (latest-wins).")
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tickwire", Name: "sockets_open", Help: "Open sockets."},
		func() float64 { return float64(s.conns.count()) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tickwire", Name: "lobbies_open", Help: "Open lobbies."},
		func() float64 { return float64(s.lobbies.Open()) }))
	m.reg.MustRegister(&lobbyCollector{s: s})
	// What the revocation index holds until the tokens it refuses have expired: on a game
	// node, the revocations applied from the cluster's stream.
	for kind, n := range map[string]func(auth.IndexSize) int{
		"sessions": func(x auth.IndexSize) int { return x.Sessions },
		"tokens":   func(x auth.IndexSize) int { return x.Tokens },
		"accounts": func(x auth.IndexSize) int { return x.Disabled },
	} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tickwire", Name: "revocations_held",
			Help: "Revocations held in memory, by kind: ended sessions, revoked tokens, disabled accounts.", ConstLabels: prometheus.Labels{"kind": kind}},
			func() float64 { return float64(n(s.auth.Index.Size())) }))
	}
	// Ticks take microseconds to a few milliseconds; a tick late by a period or more is counted
	// in ticks_late_total too.
	buckets := prometheus.ExponentialBuckets(25e-6, 4, 8) // 25 µs to 410 ms
	m.tickSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tickwire", Name: "lobby_tick_seconds",
		Help: "How long lobby ticks took, in every lobby.", Buckets: buckets})
	m.tickLateness = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tickwire", Name: "lobby_tick_lateness_seconds",
		Help: "How late lobby ticks started, in every lobby.", Buckets: buckets})
	m.reg.MustRegister(m.tickSeconds, m.tickLateness)
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// lobbyCollector reads the lobbies' counters, summed, when scraped, so the tick pays nothing
// for them. No series names a lobby: ids would tell strangers where private lobbies are, and
// series per lobby would grow without bound on a busy server.
type lobbyCollector struct{ s *Server }

var (
	descTicks   = prometheus.NewDesc("tickwire_lobby_ticks_total", "Ticks run, in every lobby.", nil, nil)
	descSkipped = prometheus.NewDesc("tickwire_lobby_ticks_skipped_total", "Ticks skipped by the overrun policy, in every lobby.", nil, nil)
	descLate    = prometheus.NewDesc("tickwire_lobby_ticks_late_total", "Ticks started more than one period late, in every lobby.", nil, nil)
	descDropped = prometheus.NewDesc("tickwire_lobby_inputs_dropped_total", "Inputs dropped because a seat's queue was full, in every lobby.", nil, nil)
)

func (c *lobbyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTicks, descSkipped, descLate, descDropped} {
		ch <- d
	}
}

func (c *lobbyCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.s.lobbies.Totals()
	ch <- prometheus.MustNewConstMetric(descTicks, prometheus.CounterValue, float64(t.Ticks))
	ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(t.Skipped))
	ch <- prometheus.MustNewConstMetric(descLate, prometheus.CounterValue, float64(t.Late))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(t.InputsDropped))
}

// observeTick is the registry's OnTick: each tick's duration and lateness, in histograms over
// every lobby.
func (m *metrics) observeTick(took, late time.Duration) {
	m.tickSeconds.Observe(took.Seconds())
	m.tickLateness.Observe(late.Seconds())
}
