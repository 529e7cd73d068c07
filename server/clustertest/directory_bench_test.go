//go:build clusterbench

package clustertest_test

import (
	"testing"

	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// BenchmarkClusterLobbies is a lobby list and a quick join on a node whose directory holds
// the ten thousand lobbies of another node: both read only what they answer with.
func BenchmarkClusterLobbies(b *testing.B) {
	near, tok := nearWithMany(b, 500)
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			if n, _ := lobbyCount(b, near.URL(), tok); n != 500 {
				b.Fatalf("%d lobbies listed, want 500", n)
			}
		}
	})
	b.Run("quick", func(b *testing.B) {
		ws := near.Dial(b, tok)
		var id uint64
		for b.Loop() {
			id++
			servertest.WriteEnvelope(b, ws, wire.TypeJoin, id, wire.Join{Quick: true})
			var moved wire.Error
			servertest.DecodePayload(b, servertest.ReadEnvelope(b, ws), &moved)
			if moved.Code != wire.CodeMoved || moved.Join == nil {
				b.Fatalf("quick join answered %+v, want moved", moved)
			}
		}
	})
}
