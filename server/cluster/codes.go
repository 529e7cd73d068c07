package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// The join codes of private lobbies are reserved in a bucket of their own, one key per code,
// each made with create-if-absent: two nodes drawing the same code cannot both get it. A code
// is deleted when its lobby closes, when its node starts again, or, when its node died, by
// the node that sweeps that node's lobbies.

// codeHolder is a reserved code's value: the lobby holding it, and that lobby's node.
type codeHolder struct {
	Node  string `json:"node"`
	Lobby string `json:"lobby"`
}

func openCodes(ctx context.Context, n *Node) (jetstream.KeyValue, error) {
	return replicated(ctx, n.js, jetstream.KeyValueConfig{
		Bucket: n.name("tickwire_codes"), Description: "Tickwire join codes of private lobbies, reserved",
		History: 1, Storage: jetstream.MemoryStorage,
	})
}

// ReserveCode claims code for lobby, this node's, in the whole cluster; it answers false when
// another lobby holds it.
func (n *Node) ReserveCode(ctx context.Context, code, lobby string) (bool, error) {
	b, _ := json.Marshal(codeHolder{Node: n.cfg.NodeID, Lobby: lobby})
	ctx, cancel := context.WithTimeout(ctx, putWait)
	defer cancel()
	_, err := n.codes.Create(ctx, code, b)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return false, nil
	}
	return false, fmt.Errorf("reserve join code: %w", err)
}

// ReleaseCode gives code back, in the background: its lobby has closed.
func (n *Node) ReleaseCode(code string) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), putWait)
		defer cancel()
		n.releaseCode(ctx, code, n.cfg.NodeID)
	}()
}

// releaseCode deletes code if node still holds it.
func (n *Node) releaseCode(ctx context.Context, code, node string) {
	e, err := n.codes.Get(ctx, code)
	if err != nil {
		return
	}
	var h codeHolder
	if json.Unmarshal(e.Value(), &h) != nil || h.Node != node {
		return
	}
	if err := n.codes.Delete(ctx, code, jetstream.LastRevision(e.Revision())); err != nil {
		n.log.Debug("release join code", "err", err)
	}
}
