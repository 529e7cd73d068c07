package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
)

// Liveness. The directory learns that a node died only when its heartbeat expires (nodeTTL),
// and until then a join of one of its lobbies would answer moved to a port that refuses. So
// each node answers on a subject of its own from before it enters the directory; NATS drops
// that interest the moment the node's connection goes, even by SIGKILL, and a request to it
// then answers "no responders" at once. A node asks before it sends a client to another.

// probeWait bounds how long Gone waits for an answer.
const probeWait = 250 * time.Millisecond

func (n *Node) aliveSubject(id string) string { return n.name("tickwire.alive." + nodeKey(id)) }

// answerAlive subscribes this node to its own liveness subject.
func (n *Node) answerAlive() error {
	if _, err := n.nc.Subscribe(n.aliveSubject(n.cfg.NodeID), func(m *nats.Msg) { _ = m.Respond(nil) }); err != nil {
		return err
	}
	return n.nc.Flush()
}

// Gone reports whether node id has certainly stopped: NATS knows nobody answering for it. A
// node slow to answer, or a question this node cannot ask (its link is down), counts as not
// gone, and the directory decides as before.
func (n *Node) Gone(ctx context.Context, id string) bool {
	if id == n.cfg.NodeID {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	_, err := n.nc.RequestWithContext(ctx, n.aliveSubject(id), nil)
	return errors.Is(err, nats.ErrNoResponders)
}
