package arena_test

import (
	"testing"

	"github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// The fields SendInput writes after seq are the arena input's msgpack form, whatever form the
// msgpack library would have chosen, and encoding them allocates nothing.
func TestAppendFields(t *testing.T) {
	in := arena.Input{Seq: 70000, DX: -0.5, DY: 1, Buttons: 3}
	fields, n := in.AppendFields(nil)
	d := wire.AppendMapHeader(nil, n+1)
	d = wire.AppendString(d, "seq")
	d = wire.AppendUint(d, 70000)
	d = append(d, fields...)
	var got arena.Input
	if err := msgpack.Unmarshal(d, &got); err != nil || got != in {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	lib, _ := msgpack.Marshal(in)
	var viaLib arena.Input
	if err := msgpack.Unmarshal(lib, &viaLib); err != nil || viaLib != in {
		t.Fatalf("library form %+v, %v", viaLib, err)
	}
	if _, n := (arena.Input{DX: 1}).AppendFields(nil); n != 2 {
		t.Fatalf("%d fields without buttons, want 2", n)
	}
	var buf [32]byte
	if a := testing.AllocsPerRun(100, func() { _, _ = in.AppendFields(buf[:0]) }); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}
