package cluster

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// keysKey is the key of the public keys (a JSON Web Key Set) in the keys bucket.
const keysKey = "jwks"

// openKeys makes (or opens) the bucket of the database node's public keys.
func openKeys(ctx context.Context, n *Node) (jetstream.KeyValue, error) {
	return replicated(ctx, n.js, jetstream.KeyValueConfig{
		Bucket: n.name("tickwire_keys"), Description: "Tickwire public keys (JWKS) of the database node",
		History: 1, Storage: jetstream.FileStorage,
	})
}

// PublishKeys puts the database node's public keys, a JSON Web Key Set, where game nodes
// watch for them; it is called at start and after every rotation, and does nothing when
// they did not change.
func (n *Node) PublishKeys(ctx context.Context, jwks []byte) error {
	if e, err := n.keys.Get(ctx, keysKey); err == nil && bytes.Equal(e.Value(), jwks) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, putWait)
	defer cancel()
	if _, err := n.keys.Put(ctx, keysKey, jwks); err != nil {
		return fmt.Errorf("publish the public keys: %w", err)
	}
	return nil
}

// watchKeys hands every version of the public keys to cfg.Keys until the node closes; the
// node refuses sockets until the first has arrived.
func (n *Node) watchKeys() {
	for n.ctx.Err() == nil {
		w, err := n.keys.Watch(n.ctx, keysKey)
		if err != nil {
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(time.Second):
				continue
			}
		}
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			if err := n.cfg.Keys(e.Value()); err != nil {
				n.log.Error("public keys of the database node", "err", err)
				continue
			}
			n.hasKeys.Store(true)
		}
		_ = w.Stop()
	}
}
