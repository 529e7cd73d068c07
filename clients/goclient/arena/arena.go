// Package arena is the Go client's side of the arena (game/arena): the inputs it sends and the
// snapshots it decodes. A client of another game has its own package beside it.
package arena

import (
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server/wire"
)

// Input is one arena input: Seq, which comes back as a snapshot's ack once the server has
// applied it, the steering DX and DY in [-1, 1] (the server clamps them), and Buttons. Its
// msgpack form is the input frame's d, as SendInput writes it.
type Input struct {
	Seq     uint32  `msgpack:"seq"`
	DX      float32 `msgpack:"dx"`
	DY      float32 `msgpack:"dy"`
	Buttons uint32  `msgpack:"b,omitempty"`
}

// AppendFields appends the input's game fields (dx, dy and, when set, b) to b as msgpack map
// entries and returns how many it wrote: what goclient.Conn.SendInput sends after seq.
func (in Input) AppendFields(b []byte) ([]byte, int) {
	n := 2
	b = wire.AppendString(b, "dx")
	b = wire.AppendFloat32(b, in.DX)
	b = wire.AppendString(b, "dy")
	b = wire.AppendFloat32(b, in.DY)
	if in.Buttons != 0 {
		b = wire.AppendString(b, "b")
		b = wire.AppendUint(b, uint64(in.Buttons))
		n++
	}
	return b, n
}

// SendInput sends in on c. It allocates nothing.
func SendInput(c *goclient.Conn, in Input) error {
	var buf [32]byte
	fields, n := in.AppendFields(buf[:0])
	return c.SendInput(in.Seq, n, fields)
}
