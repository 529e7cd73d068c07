package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
)

// Link timings. A node pings NATS every pingEvery and counts the link dead when pingsOut
// pings go unanswered, so a link gone silent is noticed within about three seconds, well
// inside the five the contract allows beyond --cluster-grace.
const (
	pingEvery     = time.Second
	pingsOut      = 2
	reconnectWait = 250 * time.Millisecond
	// setupWait bounds the whole of making or opening the buckets and streams at start;
	// attemptWait bounds one try, which a cluster that has just formed may leave unanswered.
	setupWait   = 30 * time.Second
	attemptWait = 3 * time.Second
)

// Config is what a Node needs to know about itself.
type Config struct {
	URLs      []string // NATS server URLs
	NodeID    string   // this node's unique name
	PublicURL string   // where clients reach this node: scheme, host and port
	Origins   []string // this node's --origins: the browser origins it takes as its own
	Prefix    string   // prefix of every NATS name; empty for none
	// NkeySeedFile, when set, is the file of the nkey seed this node signs in to NATS with.
	NkeySeedFile string
	// CAFile, when set, is the PEM file of the CAs that sign the NATS servers' certificates;
	// empty: the system's.
	CAFile string
	// Grace is how long the node may be cut off from NATS before Refusing reports true.
	Grace time.Duration
	// Revoked applies a revocation of the stream on this node: to its index of revoked
	// sessions and accounts, and to its open sockets. It is called one call at a time, in
	// the order each node published them, for every revocation kept (a node's own among
	// them), and again for some after the link returns: it must be idempotent and must not
	// block.
	Revoked func(Revocation)
	// KeepRevocations is how long the stream keeps a revocation: as long as the longest
	// access token can live.
	KeepRevocations time.Duration
	// Keys, on a game node, takes each version of the database node's public keys (a JSON
	// Web Key Set); the node refuses sockets until the first has been taken. Nil on the
	// database node, which publishes them (PublishKeys).
	Keys func(jwks []byte) error
	// Local reads this node's own state for the directory: its socket count and its lobbies.
	// It is called from one goroutine at a time, every publishEvery, and must not block.
	Local func() Local
	Log   *slog.Logger
}

// Local is this node's state as the directory shows it.
type Local struct {
	Sockets int
	Lobbies []Lobby
}

// Node is this process's membership of the cluster.
type Node struct {
	cfg  Config
	log  *slog.Logger
	nc   *nats.Conn
	js   jetstream.JetStream
	dir  *directory
	revs *revocations
	keys jetstream.KeyValue
	// codes holds the reserved join codes of private lobbies (codes.go).
	codes jetstream.KeyValue
	svc   micro.Service // the database node's service; nil elsewhere

	resultsCC jetstream.ConsumeContext // the database node's results consumer; nil elsewhere

	hasKeys atomic.Bool // a game node has the public keys
	counts  counters    // what Stats reports (stats.go)

	relinked chan struct{} // the link came back: catch up on revocations
	caught   atomic.Bool   // every revocation stored when the link last came up is applied

	mu       sync.Mutex
	cutSince time.Time   // when the link went down; zero while it is up
	resync   atomic.Bool // the link came back: the directory publishes everything again

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open connects to NATS (retrying in the background when no server answers yet), makes or
// opens the cluster's buckets, and starts publishing this node and watching the others. It
// fails when NATS refuses what it asks, or when it cannot reach NATS within setupWait.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, log: cfg.Log, relinked: make(chan struct{}, 1)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	opts := []nats.Option{
		nats.Name("tickwire " + cfg.NodeID),
		nats.RetryOnFailedConnect(true),
		// Only the servers named: a host lists every one it wants its nodes to use.
		nats.IgnoreDiscoveredServers(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.PingInterval(pingEvery),
		nats.MaxPingsOutstanding(pingsOut),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { n.linkDown(err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { n.linkUp(c.ConnectedUrlRedacted()) }),
	}
	if cfg.NkeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NkeySeedFile)
		if err != nil {
			n.cancel()
			return nil, fmt.Errorf("--nats-nkey: %w", err)
		}
		opts = append(opts, o)
	}
	if cfg.CAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.CAFile))
	}
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		n.cancel()
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	n.nc = nc
	if !nc.IsConnected() {
		n.linkDown(nil)
	}
	n.js, err = jetstream.New(nc)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	setup, cancel := context.WithTimeout(ctx, setupWait)
	defer cancel()
	if err := n.waitJetStream(setup); err != nil {
		n.Close()
		return nil, err
	}
	if n.codes, err = openCodes(setup, n); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.answerAlive(); err != nil {
		n.Close()
		return nil, fmt.Errorf("answer liveness: %w", err)
	}
	if n.dir, err = openDirectory(setup, n); err != nil {
		n.Close()
		return nil, err
	}
	if _, err = openResults(setup, n); err != nil {
		n.Close()
		return nil, err
	}
	if n.keys, err = openKeys(setup, n); err != nil {
		n.Close()
		return nil, err
	}
	if cfg.Keys != nil {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.watchKeys() }()
	} else {
		n.hasKeys.Store(true)
	}
	if n.revs, err = openRevocations(setup, n, cfg.KeepRevocations); err != nil {
		n.Close()
		return nil, err
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.revs.run(n.relinked) }()
	if err := n.dir.start(setup); err != nil {
		n.Close()
		return nil, fmt.Errorf("watch the directory: %w", err)
	}
	return n, nil
}

// ID is this node's name.
func (n *Node) ID() string { return n.cfg.NodeID }

// PublicURL is where clients reach this node.
func (n *Node) PublicURL() string { return n.cfg.PublicURL }

// waitJetStream returns once JetStream answers, asking again every second: NATS answers no
// JetStream request until its cluster has elected a leader, and drops those sent before,
// which happens when the node starts with NATS.
func (n *Node) waitJetStream(ctx context.Context) error {
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := n.js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			if last := n.nc.LastError(); last != nil {
				err = fmt.Errorf("%w (NATS said: %v)", err, last)
			}
			return fmt.Errorf("JetStream does not answer at %s: %w", strings.Join(n.cfg.URLs, ","), err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (n *Node) linkDown(err error) {
	n.mu.Lock()
	if n.cutSince.IsZero() {
		n.cutSince = time.Now()
	}
	n.mu.Unlock()
	n.counts.replaying.Store(true)
	n.log.Warn("cut off from NATS", "err", err)
}

func (n *Node) linkUp(url string) {
	n.mu.Lock()
	n.cutSince = time.Time{}
	n.mu.Unlock()
	n.resync.Store(true)
	n.caught.Store(false)
	select {
	case n.relinked <- struct{}{}:
	default:
	}
	n.log.Info("linked to NATS again", "server", url)
}

// Refusing reports whether the node must refuse new sockets and fail /readyz: it has been
// cut off from NATS for longer than its grace, or its link came back and it has not yet
// applied every revocation it missed, or it is a game node without the public keys yet.
func (n *Node) Refusing() bool {
	n.mu.Lock()
	cut := !n.cutSince.IsZero() && time.Since(n.cutSince) > n.cfg.Grace
	n.mu.Unlock()
	return cut || !n.caught.Load() || !n.hasKeys.Load()
}

// Close stops publishing, withdraws this node and its lobbies from the directory (a node
// that stops cleanly leaves the lists at once; one that dies leaves them when its heartbeat
// expires), and closes the link to NATS.
func (n *Node) Close() {
	if n.svc != nil {
		_ = n.svc.Stop()
	}
	if n.resultsCC != nil {
		n.resultsCC.Stop()
	}
	n.cancel()
	n.wg.Wait()
	if n.revs != nil {
		n.revs.cc.Stop()
		_ = n.revs.live.Unsubscribe()
		// What is still queued gets a last chance; another node may be waiting for it.
		ctx, cancel := context.WithTimeout(context.Background(), putWait)
		n.revs.flush(ctx)
		cancel()
	}
	if n.dir != nil && n.nc.IsConnected() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n.dir.withdraw(ctx)
		cancel()
	}
	if err := n.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		n.nc.Close()
	}
}

// name prefixes a NATS name with the cluster's prefix.
func (n *Node) name(s string) string { return n.cfg.Prefix + s }

// errReplicasNotSupported is JetStream's answer to more than one replica on a NATS server
// that is not clustered.
const errReplicasNotSupported jetstream.ErrorCode = 10074

// errNoPeers is JetStream's "no suitable peers for placement": its cluster does not see
// enough of its servers current yet (it has just formed, or one has just returned), which
// passes.
const errNoPeers jetstream.ErrorCode = 10005

// notClustered reports whether err is JetStream refusing replicas for want of a cluster.
func notClustered(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == errReplicasNotSupported
}

// replicated makes a key-value bucket with three replicas, or with one when NATS is not
// clustered, or opens it (updating its settings) when it exists.
func replicated(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) error {
		cfg.Replicas = 3
		var err error
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		if notClustered(err) {
			cfg.Replicas = 1
			kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// retry runs f, bounded by attemptWait, until it succeeds or ctx ends: a request to JetStream
// that a cluster electing its leaders dropped is worth sending again.
func retry(ctx context.Context, f func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, attemptWait)
		err := f(actx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		var api *jetstream.APIError
		if errors.As(err, &api) && api.Code != 503 && api.Code != 500 && api.ErrorCode != errNoPeers {
			return err // a refusal, not a silence: asking again changes nothing
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// replicatedStream is replicated for streams.
func replicatedStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := retry(ctx, func(ctx context.Context) error {
		cfg.Replicas = 3
		var err error
		s, err = js.CreateOrUpdateStream(ctx, cfg)
		if notClustered(err) {
			cfg.Replicas = 1
			s, err = js.CreateOrUpdateStream(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	return s, nil
}
