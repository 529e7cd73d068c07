package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Directory timings. A node puts its entry every heartbeatEvery and the bucket forgets an
// entry nodeTTL after its last put, as every node's copy does on its own clock: a node that
// dies leaves every list within nodeTTL of its last heartbeat, inside the contract's 10 s.
// Lobbies are compared with what was published every publishEvery and put when they changed.
const (
	heartbeatEvery = 2 * time.Second
	nodeTTL        = 6 * time.Second
	publishEvery   = 250 * time.Millisecond
	// putWait bounds one put or delete of the directory.
	putWait = 2 * time.Second
)

// NodeInfo is one node's entry: what GET /api/v1/admin/nodes shows.
type NodeInfo struct {
	ID        string `json:"id"`
	PublicURL string `json:"public_url"`
	Sockets   int    `json:"sockets"`
	Lobbies   int    `json:"lobbies"`
	Heartbeat int64  `json:"heartbeat"`      // unix ms of the put, on the node's clock
	NATS      string `json:"nats,omitempty"` // the NATS server its link is on, without credentials
}

// Lobby is one lobby's entry, public or private: what the lists and the joins of the other
// nodes need to know of it.
type Lobby struct {
	ID         string `json:"id"`
	Node       string `json:"node"`
	Name       string `json:"name"`
	Game       string `json:"game"`
	Code       string `json:"code,omitempty"` // the join code of a private lobby
	Private    bool   `json:"private,omitempty"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	State      string `json:"state"`
	TickRate   int    `json:"tick_rate"`
}

// nodeEntry is a node's entry as the bucket holds it: its NodeInfo and the run of the
// process that puts it, so that a node tells its own puts from those of another process
// started under its id.
type nodeEntry struct {
	NodeInfo
	Run string `json:"run"`
}

// ErrNodeIDTaken is Open's answer when a live node already runs under the id asked for.
var ErrNodeIDTaken = errors.New("node id taken")

// seenNode is a node's entry as this node last heard it, and when (on this node's clock, so
// that the clocks of other nodes never matter).
type seenNode struct {
	info NodeInfo
	at   time.Time
}

// seenLobby is another node's lobby as this node last heard it.
type seenLobby struct {
	Lobby
	rev uint64
	at  time.Time
}

// directory is this node's side of the two buckets: what it publishes of itself and what it
// has heard of everyone.
type directory struct {
	n       *Node
	nodes   jetstream.KeyValue
	lobbies jetstream.KeyValue
	self    string // this node's key
	run     string // this process's run, random
	beat    uint64 // revision of this node's entry as last put; the publisher's own

	mu     sync.RWMutex
	seen   map[string]seenNode  // by node id
	remote map[string]seenLobby // other nodes' lobbies by key
	byID   map[string]string    // lobby id to key
	byCode map[string]string    // join code to key
	index  lobbyIndex           // remote, in the orders of the lists and of quick join

	// ownBeat is when (unix ns) each watch (of the nodes, of the lobbies) last delivered this
	// process's own heartbeat (in the lobbies, its beacon): while heartbeats are put and do
	// not come back, the watch has gone silent (the NATS server holding its consumer died)
	// and is made again, and nobody is swept.
	ownBeat   [2]atomic.Int64
	watchMu   sync.Mutex
	watching  [2]context.CancelFunc // end the watches of the nodes and of the lobbies, while they run
	rewatched [2]time.Time          // when each watch was last made again; the publisher's own

	synced    chan struct{}    // closed when both watches have delivered what the buckets held
	published map[string]Lobby // this node's lobbies as last put, by id; the publisher's own
}

func nodeKey(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// lobbyKey is the key of lobby id of the node whose key is node.
func lobbyKey(node, id string) string { return node + "." + id }

func openDirectory(ctx context.Context, n *Node) (*directory, error) {
	nodes, err := replicated(ctx, n.js, jetstream.KeyValueConfig{
		Bucket: n.name("tickwire_nodes"), Description: "Tickwire nodes and their heartbeats",
		History: 1, TTL: nodeTTL, LimitMarkerTTL: nodeTTL, Storage: jetstream.MemoryStorage,
	})
	if err != nil {
		return nil, err
	}
	lobbies, err := replicated(ctx, n.js, jetstream.KeyValueConfig{
		Bucket: n.name("tickwire_lobbies"), Description: "Tickwire lobbies of every node",
		History: 1, Storage: jetstream.MemoryStorage,
	})
	if err != nil {
		return nil, err
	}
	d := &directory{n: n, nodes: nodes, lobbies: lobbies, self: nodeKey(n.cfg.NodeID), run: rand.Text(),
		seen: map[string]seenNode{}, remote: map[string]seenLobby{}, byID: map[string]string{},
		byCode: map[string]string{}, synced: make(chan struct{}), published: map[string]Lobby{}}
	// This node is in the directory before it serves anyone, and withdraws what a previous
	// run under its name left there.
	if err := d.claim(ctx); err != nil {
		return nil, err
	}
	d.publish(ctx, true)
	return d, nil
}

// start runs the watches and the publisher, and waits until the watches have caught up.
func (d *directory) start(ctx context.Context) error {
	var both sync.WaitGroup
	both.Add(2)
	d.n.wg.Add(3)
	d.ownBeat[0].Store(time.Now().UnixNano())
	d.ownBeat[1].Store(time.Now().UnixNano())
	go func() { defer d.n.wg.Done(); d.watch(0, d.nodes, d.applyNode, both.Done) }()
	go func() { defer d.n.wg.Done(); d.watch(1, d.lobbies, d.applyLobby, both.Done) }()
	go func() { defer d.n.wg.Done(); d.publishLoop() }()
	go func() { both.Wait(); close(d.synced) }()
	select {
	case <-d.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watch follows a bucket into memory until the node closes, watching again whenever the
// watch ends early (rewatch ends it); caught is called once, when the first watch has
// delivered what the bucket held. slot names the watch for rewatch.
func (d *directory) watch(slot int, kv jetstream.KeyValue, apply func(jetstream.KeyValueEntry, bool), caught func()) {
	var once sync.Once
	for d.n.ctx.Err() == nil {
		// The watch lives as long as its context; a watch that JetStream does not make within
		// attemptWait (it is electing a leader, a NATS server having died) is asked again.
		wctx, cancel := context.WithCancel(d.n.ctx)
		late := time.AfterFunc(attemptWait, cancel)
		w, err := kv.WatchAll(wctx)
		if !late.Stop() || err != nil {
			cancel()
			if err == nil {
				_ = w.Stop()
			}
			select {
			case <-d.n.ctx.Done():
				return
			case <-time.After(catchUpWait):
				continue
			}
		}
		d.watchMu.Lock()
		d.watching[slot] = cancel
		d.watchMu.Unlock()
		initial := true
		for e := range w.Updates() {
			if e == nil {
				initial = false
				once.Do(caught)
				continue
			}
			apply(e, initial)
		}
		_ = w.Stop()
		cancel()
		d.watchMu.Lock()
		d.watching[slot] = nil
		d.watchMu.Unlock()
	}
}

// watchSilent is how long this node's heartbeats, put, may fail to come back through its
// watch before the watch counts as silent: two heartbeats and a second.
const watchSilent = 2*heartbeatEvery + time.Second

// beaconID names, among this node's lobbies, the key it puts with every heartbeat so that
// its watch of the lobbies hears from it too. No lobby id starts with "_".
const beaconID = "_beat"

// watchLive reports whether both watches delivered this node's own heartbeat within
// watchSilent.
func (d *directory) watchLive() bool {
	return d.silent(0) <= watchSilent && d.silent(1) <= watchSilent
}

// silent is how long watch slot has not delivered this node's own heartbeat.
func (d *directory) silent(slot int) time.Duration {
	return time.Since(time.Unix(0, d.ownBeat[slot].Load()))
}

// rewatch ends watch slot, which watch makes again at once, when it has gone silent while
// heartbeats were put: JetStream's consumer behind it was on a NATS server that died, which
// the client would notice only after ten seconds.
func (d *directory) rewatch(slot int) {
	if d.silent(slot) <= watchSilent || time.Since(d.rewatched[slot]) <= watchSilent {
		return
	}
	d.rewatched[slot] = time.Now()
	d.n.log.Warn("the directory's watch went silent; watching again", "bucket", []string{"nodes", "lobbies"}[slot],
		"silent", d.silent(slot).Round(time.Millisecond))
	d.watchMu.Lock()
	defer d.watchMu.Unlock()
	if end := d.watching[slot]; end != nil {
		end()
	}
}

// beacon puts this node's beacon among the lobbies, and reports whether it did.
func (d *directory) beacon(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, putWait)
	defer cancel()
	_, err := d.lobbies.Put(ctx, lobbyKey(d.self, beaconID), []byte(d.run))
	return err == nil
}

func (d *directory) applyNode(e jetstream.KeyValueEntry, _ bool) {
	raw, err := base64.RawURLEncoding.DecodeString(e.Key())
	if err != nil {
		return
	}
	id := string(raw)
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(d.seen, id)
		return
	}
	var ne nodeEntry
	if json.Unmarshal(e.Value(), &ne) != nil || ne.ID != id {
		return
	}
	if ne.Run == d.run {
		d.ownBeat[0].Store(time.Now().UnixNano())
	}
	d.seen[id] = seenNode{info: ne.NodeInfo, at: time.Now()}
}

func (d *directory) applyLobby(e jetstream.KeyValueEntry, _ bool) {
	node, id, ok := strings.Cut(e.Key(), ".")
	if ok && node == d.self && id == beaconID && string(e.Value()) == d.run {
		d.ownBeat[1].Store(time.Now().UnixNano())
	}
	if !ok || node == d.self || id == beaconID {
		return // this node's own lobbies are read from the node itself; beacons are no lobbies
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.remote[e.Key()]; ok {
		d.index.remove(e.Key(), old.Lobby)
		delete(d.byID, old.ID)
		if old.Code != "" {
			delete(d.byCode, old.Code)
		}
		delete(d.remote, e.Key())
	}
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	var l Lobby
	if json.Unmarshal(e.Value(), &l) != nil || lobbyKey(nodeKey(l.Node), l.ID) != e.Key() {
		return
	}
	d.remote[e.Key()] = seenLobby{Lobby: l, rev: e.Revision(), at: time.Now()}
	d.index.add(e.Key(), l)
	d.byID[l.ID] = e.Key()
	if l.Code != "" {
		d.byCode[l.Code] = e.Key()
	}
}

// publishLoop puts this node's heartbeat every heartbeatEvery and its lobbies as they
// change, and sweeps the lobbies of dead nodes, until the node closes.
func (d *directory) publishLoop() {
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	lastBeat := time.Now()
	for {
		select {
		case <-d.n.ctx.Done():
			return
		case <-t.C:
		}
		if !d.n.nc.IsConnected() {
			continue
		}
		if time.Since(lastBeat) >= heartbeatEvery || d.n.resync.Load() {
			if d.heartbeat(d.n.ctx) {
				d.rewatch(0)
			}
			if d.beacon(d.n.ctx) {
				d.rewatch(1)
			}
			d.sweep(d.n.ctx)
			lastBeat = time.Now()
		}
		d.publish(d.n.ctx, d.n.resync.Swap(false))
	}
}

// entry is this node's entry as it stands now.
func (d *directory) entry() (NodeInfo, []byte) {
	local := d.n.cfg.Local()
	info := NodeInfo{ID: d.n.cfg.NodeID, PublicURL: d.n.cfg.PublicURL, Sockets: local.Sockets,
		Lobbies: len(local.Lobbies), Heartbeat: time.Now().UnixMilli(), NATS: d.n.nc.ConnectedUrlRedacted()}
	b, _ := json.Marshal(nodeEntry{NodeInfo: info, Run: d.run})
	return info, b
}

// claimWait is how often claim looks again at an entry under this node's id.
const claimWait = 250 * time.Millisecond

// claim makes this node's entry, if no other process holds its id: an entry under the id
// that is put again meanwhile belongs to a live node, and claim fails with ErrNodeIDTaken;
// one that expires (within nodeTTL) was left by a run that died, and claim takes its place.
func (d *directory) claim(ctx context.Context) error {
	var held uint64
	waitUntil := time.Now().Add(nodeTTL + heartbeatEvery)
	for {
		info, b := d.entry()
		var rev uint64
		err := retry(ctx, func(ctx context.Context) error {
			var err error
			rev, err = d.nodes.Create(ctx, d.self, b)
			return err
		})
		if err == nil {
			d.beat = rev
			d.n.counts.beat()
			d.mu.Lock()
			d.seen[info.ID] = seenNode{info: info, at: time.Now()}
			d.mu.Unlock()
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("enter the directory: %w", err)
		}
		var e jetstream.KeyValueEntry
		err = retry(ctx, func(ctx context.Context) error {
			var err error
			e, err = d.nodes.Get(ctx, d.self)
			return err
		})
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			continue // it expired meanwhile
		case err != nil:
			return fmt.Errorf("enter the directory: %w", err)
		case held != 0 && e.Revision() != held, time.Now().After(waitUntil):
			return fmt.Errorf("%w: another node runs as %q (its heartbeat is fresh); give each node its own --node-id", ErrNodeIDTaken, d.n.cfg.NodeID)
		case held == 0:
			held = e.Revision()
			d.n.log.Info("an entry under this node's id is in the directory; waiting for it to expire", "within", nodeTTL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enter the directory: %w", ctx.Err())
		case <-time.After(claimWait):
		}
	}
}

// heartbeat puts this node's entry again, if no other process has put it since, and reports
// whether it did.
func (d *directory) heartbeat(ctx context.Context) bool {
	info, b := d.entry()
	ctx, cancel := context.WithTimeout(ctx, putWait)
	defer cancel()
	rev, err := d.nodes.Update(ctx, d.self, b, d.beat)
	if err != nil {
		// The entry expired while the link was down, or the answer to a put was lost, or
		// another process put it.
		e, gerr := d.nodes.Get(ctx, d.self)
		switch {
		case errors.Is(gerr, jetstream.ErrKeyNotFound):
			rev, err = d.nodes.Create(ctx, d.self, b)
		case gerr == nil && d.ownEntry(e):
			rev, err = d.nodes.Update(ctx, d.self, b, e.Revision())
		case gerr == nil:
			d.n.counts.beatsFailed.Add(1)
			d.n.log.Error("another process runs under this node's id: this node stops heartbeating", "node", d.n.cfg.NodeID)
			return false
		}
		if err != nil {
			d.n.counts.beatsFailed.Add(1)
			d.n.log.Debug("directory heartbeat", "err", err)
			return false
		}
	}
	d.beat = rev
	d.n.counts.beat()
	d.mu.Lock()
	d.seen[info.ID] = seenNode{info: info, at: time.Now()}
	d.mu.Unlock()
	return true
}

// ownEntry reports whether e was put by this process.
func (d *directory) ownEntry(e jetstream.KeyValueEntry) bool {
	var ne nodeEntry
	return json.Unmarshal(e.Value(), &ne) == nil && ne.Run == d.run
}

// publish puts the lobbies of this node that changed since they were last put and deletes
// those that closed; with all, it first forgets what it put and deletes whatever the bucket
// holds under this node's name that the node does not run.
func (d *directory) publish(ctx context.Context, all bool) {
	local := d.n.cfg.Local()
	now := make(map[string]Lobby, len(local.Lobbies))
	for _, l := range local.Lobbies {
		l.Node = d.n.cfg.NodeID
		now[l.ID] = l
	}
	if all {
		clear(d.published)
		if keys, err := d.lobbies.ListKeysFiltered(ctx, d.self+".*"); err == nil {
			for k := range keys.Keys() {
				_, id, _ := strings.Cut(k, ".")
				if _, ok := now[id]; !ok && id != beaconID {
					d.published[id] = Lobby{ID: id} // deleted below
					d.releaseCodeOf(ctx, k)
				}
			}
		}
	}
	for id, l := range now {
		if old, ok := d.published[id]; ok && old == l {
			continue
		}
		b, _ := json.Marshal(l)
		pctx, cancel := context.WithTimeout(ctx, putWait)
		_, err := d.lobbies.Put(pctx, lobbyKey(d.self, id), b)
		cancel()
		if err != nil {
			d.n.log.Debug("directory put lobby", "lobby", id, "err", err)
			return
		}
		d.published[id] = l
	}
	for id := range d.published {
		if _, ok := now[id]; ok {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, putWait)
		err := d.lobbies.Delete(pctx, lobbyKey(d.self, id))
		cancel()
		if err != nil {
			d.n.log.Debug("directory delete lobby", "lobby", id, "err", err)
			return
		}
		delete(d.published, id)
	}
}

// sweep deletes the lobbies of nodes that died without withdrawing them, each only if
// nobody put it again meanwhile: every node sweeps, and a node back under the same name
// publishes its lobbies anew.
func (d *directory) sweep(ctx context.Context) {
	if !d.watchLive() {
		return // what this node has heard of the others is stale itself
	}
	type stale struct {
		key  string
		rev  uint64
		node string
		code string
	}
	var gone []stale
	now := time.Now()
	d.mu.RLock()
	for k, l := range d.remote {
		if now.Sub(l.at) > nodeTTL && !d.aliveLocked(l.Node, now) {
			gone = append(gone, stale{k, l.rev, l.Node, l.Code})
		}
	}
	d.mu.RUnlock()
	asked := map[string]bool{} // node to whether NATS knows it gone
	for _, s := range gone {
		g, ok := asked[s.node]
		if !ok {
			g = d.n.Gone(ctx, s.node)
			asked[s.node] = g
		}
		if !g {
			continue // it still answers: its heartbeats are late, not over
		}
		pctx, cancel := context.WithTimeout(ctx, putWait)
		if d.lobbies.Delete(pctx, s.key, jetstream.LastRevision(s.rev)) == nil && s.code != "" {
			d.n.releaseCode(pctx, s.code, s.node)
		}
		cancel()
	}
}

// releaseCodeOf releases the join code of this node's lobby entry under key, left by a
// previous run.
func (d *directory) releaseCodeOf(ctx context.Context, key string) {
	e, err := d.lobbies.Get(ctx, key)
	if err != nil {
		return
	}
	var l Lobby
	if json.Unmarshal(e.Value(), &l) == nil && l.Code != "" {
		d.n.releaseCode(ctx, l.Code, d.n.cfg.NodeID)
	}
}

// withdraw deletes this node's entry and its lobbies, at a clean stop.
func (d *directory) withdraw(ctx context.Context) {
	for id := range d.published {
		_ = d.lobbies.Delete(ctx, lobbyKey(d.self, id))
	}
	_ = d.nodes.Delete(ctx, d.self)
}

// aliveLocked reports whether node id was heard from within nodeTTL; d.mu is held.
func (d *directory) aliveLocked(id string, now time.Time) bool {
	if id == d.n.cfg.NodeID {
		return true
	}
	s, ok := d.seen[id]
	return ok && now.Sub(s.at) <= nodeTTL
}

// Nodes lists the live nodes, this one among them, by id.
func (n *Node) Nodes() []NodeInfo {
	d := n.dir
	now := time.Now()
	d.mu.RLock()
	out := make([]NodeInfo, 0, len(d.seen))
	for id, s := range d.seen {
		if d.aliveLocked(id, now) {
			out = append(out, s.info)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b NodeInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// FirstLobbies lists the first limit public lobbies (by name, then id), not closed, of the
// other live nodes. It reads no more of the directory than those and the lobbies of nodes
// that died and are not yet swept, however many lobbies the cluster has.
func (n *Node) FirstLobbies(limit int) []Lobby {
	d := n.dir
	now := time.Now()
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Lobby, 0, min(limit, len(d.index.byName)))
	d.index.first(func(key string) bool {
		if l := d.remote[key]; d.aliveLocked(l.Node, now) {
			out = append(out, l.Lobby)
		}
		return len(out) < limit
	})
	return out
}

// Fullest returns the public lobby of game with room, not closed, of another live node not in
// skip that has the most players (of those that have as many, any). It reads the lobbies by
// players, from the most, and stops at the first it can answer.
func (n *Node) Fullest(game string, skip map[string]bool) (Lobby, bool) {
	d := n.dir
	now := time.Now()
	d.mu.RLock()
	defer d.mu.RUnlock()
	var best Lobby
	found := false
	d.index.fullest(game, func(key string) bool {
		if l := d.remote[key]; !skip[l.Node] && d.aliveLocked(l.Node, now) {
			best, found = l.Lobby, true
		}
		return !found
	})
	return best, found
}

// Lookup returns the lobby id of another live node.
func (n *Node) Lookup(id string) (Lobby, bool) {
	return n.lookup(func(d *directory) (string, bool) { k, ok := d.byID[id]; return k, ok })
}

// LookupCode returns the private lobby of another live node whose join code is code (as the
// lobby's node wrote it: upper case).
func (n *Node) LookupCode(code string) (Lobby, bool) {
	return n.lookup(func(d *directory) (string, bool) { k, ok := d.byCode[code]; return k, ok })
}

func (n *Node) lookup(key func(*directory) (string, bool)) (Lobby, bool) {
	d := n.dir
	d.mu.RLock()
	defer d.mu.RUnlock()
	k, ok := key(d)
	if !ok {
		return Lobby{}, false
	}
	l := d.remote[k]
	if l.State == "closed" || !d.aliveLocked(l.Node, time.Now()) {
		return Lobby{}, false
	}
	return l.Lobby, true
}

// NodeURL returns the public URL of live node id.
func (n *Node) NodeURL(id string) (string, bool) {
	d := n.dir
	d.mu.RLock()
	defer d.mu.RUnlock()
	s, ok := d.seen[id]
	if !ok || !d.aliveLocked(id, time.Now()) {
		return "", false
	}
	return s.info.PublicURL, true
}
