package server

import (
	"context"
	"strings"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
)

// Joins across a cluster: a lobby runs on one node, and a join of a lobby that another node
// hosts answers moved, with that node's socket endpoint and the join to send there.

// lobbyElsewhere finds, by id or by join code, a lobby that another live node hosts. A node
// that NATS knows to be gone hosts nothing, even while the directory still lists it: a
// client sent there would find a port that refuses.
func (s *Server) lobbyElsewhere(ctx context.Context, id, code string) (cluster.Lobby, bool) {
	if s.cluster == nil {
		return cluster.Lobby{}, false
	}
	var l cluster.Lobby
	var ok bool
	if id != "" {
		l, ok = s.cluster.Lookup(id)
	} else {
		l, ok = s.cluster.LookupCode(strings.ToUpper(strings.TrimSpace(code)))
	}
	if !ok || s.cluster.Gone(ctx, l.Node) {
		return cluster.Lobby{}, false
	}
	return l, true
}

// quickElsewhere picks, for a quick join of game by account, a public lobby of another node:
// only when this node has no lobby of that game that could seat it, and then the fullest
// with room on a node not known to be gone.
func (s *Server) quickElsewhere(ctx context.Context, account, gameName string) (cluster.Lobby, bool) {
	if s.cluster == nil {
		return cluster.Lobby{}, false
	}
	if gameName == "" {
		gameName = s.lobbies.Default
	}
	if s.lobbies.CouldSeat(account, gameName) {
		return cluster.Lobby{}, false
	}
	// The fullest; a node that NATS knows to be gone is passed over.
	gone := map[string]bool{}
	for {
		l, ok := s.cluster.Fullest(gameName, gone)
		if !ok || !s.cluster.Gone(ctx, l.Node) {
			return l, ok
		}
		gone[l.Node] = true
	}
}

// moved is the answer to a join of lobby l of another node: code moved, that node's socket
// endpoint, and req to send there as it was sent here.
func (s *Server) moved(l cluster.Lobby, req wire.Join) error {
	base, ok := s.cluster.NodeURL(l.Node)
	if !ok {
		return game.ErrNotFound
	}
	s.metrics.cluster.moved(req)
	return &wire.Error{Code: wire.CodeMoved, Message: "the lobby is on node " + l.Node, URL: socketURL(base), Join: &req}
}

// socketURL is the socket endpoint of a node whose public URL is base.
func socketURL(base string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://") + "/ws"
	case strings.HasPrefix(base, "http://"):
		return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
	}
	return base + "/ws"
}
