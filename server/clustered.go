package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
)

// This file joins a server to its cluster (contract section "Cluster (v1.3)"): the node's
// side of server/cluster, which alone speaks NATS. A server without --nats has no node and
// every function here leaves it as it would be alone.

// joinCluster connects to NATS and enters the directory under cfg.NodeID, or under the host
// name and the port of ln when none was set.
func (s *Server) joinCluster(ctx context.Context, ln net.Listener) error {
	id := s.cfg.NodeID
	if id == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "localhost"
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		id = host + ":" + port
	}
	// The command line requires --public-url with --nats; a Config built in code may leave it
	// empty, and the listener's own URL stands in.
	public := cmp.Or(s.cfg.PublicURL, s.URL())
	node, err := cluster.Open(ctx, cluster.Config{
		URLs: s.cfg.NATS, NodeID: id, PublicURL: public, Origins: s.cfg.Origins, Prefix: s.cfg.ClusterPrefix,
		Grace: s.cfg.ClusterGrace, NkeySeedFile: s.cfg.NATSNkey, CAFile: s.cfg.NATSCA, Local: s.clusterLocal, Log: s.log.With("node", id),
		Revoked: s.applyRevocation, KeepRevocations: s.cfg.AccessTTL + auth.Leeway,
		Keys: s.takeKeys(),
	})
	if err != nil {
		return err
	}
	s.cluster = node
	s.metrics.cluster = newClusterMetrics(s)
	s.lobbies.Codes = clusterCodes{node}
	if s.db != nil {
		if err := node.ServeDatabase(s.echo); err != nil {
			node.Close()
			return fmt.Errorf("serve the database to the cluster: %w", err)
		}
		if err := node.PublishKeys(ctx, s.auth.Tokens.Keys.JWKS()); err != nil {
			node.Close()
			return err
		}
		if err := node.ConsumeResults(ctx, s.recordClusterResult); err != nil {
			node.Close()
			return err
		}
	}
	s.log.Info("joined the cluster", "node", id, "nats", strings.Join(s.cfg.NATS, ","), "public_url", public, "role", s.cfg.Role)
	return nil
}

// leaveCluster withdraws the node from the directory and closes its link, at shutdown.
func (s *Server) leaveCluster() {
	if s.cluster != nil {
		s.cluster.Close()
	}
}

// clusterLocal is what the directory shows of this node: its sockets and every lobby it
// runs that has not closed, private ones with their codes (for joins by code elsewhere).
func (s *Server) clusterLocal() cluster.Local {
	all := s.lobbies.All()
	out := cluster.Local{Sockets: s.conns.count(), Lobbies: make([]cluster.Lobby, 0, len(all))}
	for _, l := range all {
		i := l.Summary()
		if i.State == game.StateClosed || i.ID == "" {
			continue
		}
		out.Lobbies = append(out.Lobbies, cluster.Lobby{ID: i.ID, Name: i.Name, Game: i.Game, Code: i.Code,
			Private: i.Private, Players: i.Players, MaxPlayers: i.MaxPlayers, State: string(i.State), TickRate: i.TickRate})
	}
	return out
}

// clusterLobbies adds to this node's public lobbies (out, from its registry: the first by
// name, at most the list's cap) the first of every other live node, each marked with its
// node, keeping the list's order by name and its cap: it reads at most twice the cap. Alone,
// it returns out unchanged.
func (s *Server) clusterLobbies(out []lobbyJSON) []lobbyJSON {
	if s.cluster == nil {
		return out
	}
	for i := range out {
		out[i].Node = s.cluster.ID()
	}
	for _, l := range s.cluster.FirstLobbies(s.cfg.LobbyListMax) {
		out = append(out, lobbyJSON{ID: l.ID, Name: l.Name, Game: l.Game, Players: l.Players, MaxPlayers: l.MaxPlayers,
			State: l.State, TickRate: l.TickRate, Node: l.Node})
	}
	slices.SortFunc(out, func(a, b lobbyJSON) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
	if len(out) > s.cfg.LobbyListMax {
		out = out[:s.cfg.LobbyListMax]
	}
	return out
}

// handleNodes is GET /api/v1/admin/nodes: {"nodes":[{"id","public_url","sockets","lobbies",
// "heartbeat"}]}, the live nodes by id. Alone, the server is its one node.
func (s *Server) handleNodes(c echo.Context) error {
	var nodes []cluster.NodeInfo
	if s.cluster != nil {
		nodes = s.cluster.Nodes()
	} else {
		local := s.clusterLocal()
		nodes = []cluster.NodeInfo{{ID: "local", PublicURL: s.cfg.PublicURL, Sockets: local.Sockets,
			Lobbies: len(local.Lobbies), Heartbeat: time.Now().UnixMilli()}}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"nodes": nodes})
}

// publishEnded tells the other nodes of a session ended or an account banned here, so that
// they refuse its tokens and close its sockets too. Alone, it does nothing.
func (s *Server) publishEnded(e auth.Ended) {
	if s.cluster == nil {
		return
	}
	if e.SessionID == "" {
		s.cluster.Revoke(cluster.Revocation{Kind: cluster.RevokeBan, Account: e.AccountID, Reason: e.Reason})
		return
	}
	s.cluster.Revoke(cluster.Revocation{Kind: cluster.RevokeSession, Session: e.SessionID, Account: e.AccountID,
		Reason: e.Reason, Until: s.now().Add(s.cfg.AccessTTL).UnixMilli()})
}

// publishUnban tells the other nodes that an account may sign in again.
func (s *Server) publishUnban(accountID string) {
	if s.cluster != nil {
		s.cluster.Revoke(cluster.Revocation{Kind: cluster.RevokeUnban, Account: accountID})
	}
}

// applyRevocation applies a revocation of the cluster's stream here: the index refuses its
// tokens from now on and this node's sockets of it close 4003. What the index already holds
// (this node's own revocations, and those replayed again) is skipped, so nothing is kicked
// twice.
func (s *Server) applyRevocation(v cluster.Revocation) {
	x := s.auth.Index
	switch v.Kind {
	case cluster.RevokeSession:
		if x.SessionEnded(v.Session) {
			return
		}
		x.EndSession(v.Session, time.UnixMilli(v.Until))
		s.closeEnded(auth.Ended{SessionID: v.Session, AccountID: v.Account, Reason: v.Reason})
	case cluster.RevokeBan:
		if x.Disabled(v.Account) {
			return
		}
		x.SetDisabled(v.Account, true)
		s.closeEnded(auth.Ended{AccountID: v.Account, Reason: "ban"})
	case cluster.RevokeUnban:
		x.SetDisabled(v.Account, false)
	}
}

// gameParts are a game node's pieces: no database and no signing key, an auth service that
// verifies tokens with the public keys the database node publishes and refuses what the
// revocations stream names.
func gameParts(cfg Config, now func() time.Time) *parts {
	keys := auth.NewPublicKeySet()
	return &parts{keys: keys, auth: &auth.Service{
		Tokens: &auth.Tokens{Keys: keys, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, Now: now},
		Index:  auth.NewIndex(auth.Revoked{}),
		Now:    now,
	}}
}

// takeKeys is how a game node takes the database node's public keys; the database node
// takes none.
func (s *Server) takeKeys() func([]byte) error {
	if s.db != nil {
		return nil
	}
	return s.auth.Tokens.Keys.SetJWKS
}

// publishKeys publishes the database node's public keys again, after the key folder was
// read again (a rotation shows there).
func (s *Server) publishKeys(ctx context.Context) {
	if s.cluster == nil {
		return
	}
	if err := s.cluster.PublishKeys(ctx, s.auth.Tokens.Keys.JWKS()); err != nil {
		s.log.Warn("publish the public keys", "err", err)
	}
}

// servedByGameNode reports whether a game node answers path itself: everything but the API
// (the socket, health, metrics, the browser client), and the API's lobby list and node list,
// which come from its memory. The rest of the API needs the database.
func servedByGameNode(path string) bool {
	switch {
	case path == "/api/v1/lobbies", path == "/api/v1/admin/nodes":
		return true
	case strings.HasPrefix(path, "/api/"), path == "/.well-known/jwks.json":
		return false
	}
	return true
}

// forwardToDatabase, on a game node, sends the requests that need the database to the
// database node over NATS and answers what it answers, or 503 unavailable at once while it
// is down. The client's address and scheme go as this node resolved them, so that behind a
// TLS proxy the database node sees HTTPS (the origin check, the Secure cookie) as this node
// would.
func (s *Server) forwardToDatabase(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if servedByGameNode(r.URL.Path) {
			return next(c)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err // the body limit's answer
		}
		client := cluster.Client{IP: c.RealIP(), HTTPS: s.requestScheme(r) == "https"}
		start := time.Now()
		err = s.cluster.Forward(c.Response(), r, client, body)
		s.metrics.cluster.forwarded(start, err)
		if errors.Is(err, cluster.ErrNoDatabase) {
			c.Response().Header().Set("Retry-After", "1")
			return apiErr(wire.CodeUnavailable, "the database node does not answer; try again shortly")
		}
		return err
	}
}

// clusterCodes are the join codes reserved across the cluster, so that no two nodes hand
// out one code.
type clusterCodes struct{ n *cluster.Node }

var _ game.Codes = clusterCodes{}

func (c clusterCodes) Reserve(ctx context.Context, code, lobby string) (bool, error) {
	return c.n.ReserveCode(ctx, code, lobby)
}

func (c clusterCodes) Release(code string) { c.n.ReleaseCode(code) }

// clusterResults is where a game node's lobbies record their rounds: the cluster's results
// stream, which the database node consumes.
type clusterResults struct{ s *Server }

var _ game.Results = clusterResults{}

// RecordMatch publishes m on the results stream, named by its key, so that a publish retried
// after a lost acknowledgement is stored once; the database records a key once, so that a
// result delivered again (its commit done, its acknowledgement lost) counts once.
func (r clusterResults) RecordMatch(ctx context.Context, m game.Match) error {
	if m.Key == "" {
		m.Key = fmt.Sprintf("%s/%s/%d", r.s.cluster.ID(), m.LobbyID, m.Started.UnixNano())
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = r.s.cluster.PublishResult(ctx, m.Key, b)
	r.s.metrics.cluster.published(err)
	return err
}

// recordClusterResult records on the database node a round a game node published.
func (s *Server) recordClusterResult(ctx context.Context, data []byte) error {
	var m game.Match
	if err := json.Unmarshal(data, &m); err != nil {
		s.log.Error("a result from the cluster that does not decode; dropped", "err", err)
		return nil
	}
	return s.db.RecordMatch(ctx, m)
}
