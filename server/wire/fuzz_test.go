package wire_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// FuzzDecode feeds the frame decoder arbitrary bytes, as the server does with whatever a client
// sends (run it with `make fuzz`). Beyond never panicking it checks that
//   - what Validate accepts, the msgpack library reads as exactly one value;
//   - the hand-written envelope and input decoders agree with the library wherever both succeed;
//   - what DecodeInputFrame takes, the general decoders read the same (id, seq, the raw d);
//   - every payload struct decodes an accepted payload with an error at worst;
//   - FrameJSON writes valid JSON or an error (NaN and infinities have no JSON form).
func FuzzDecode(f *testing.F) {
	for _, v := range loadGolden(f) {
		f.Add(unhex(f, v.Hex))
	}
	for _, b := range bombs(f) {
		if len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte{0x82, 0xa1, 't', 0xa5, 'i', 'n', 'p', 'u', 't', 0xa1, 'd', 0x83, 0xa3, 's', 'e', 'q', 0xff, 0xa2, 'd', 'x', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xa2, 'd', 'y', 0x01})
	limits := wire.Limits{MaxBytes: 16 << 10}
	f.Fuzz(func(t *testing.T, frame []byte) {
		err := wire.Validate(frame, limits)
		if err == nil {
			dec := msgpack.NewDecoder(bytes.NewReader(frame))
			if err := dec.Skip(); err != nil {
				t.Fatalf("Validate accepted what the library cannot skip: %v", err)
			}
			if _, err := dec.PeekCode(); err == nil {
				t.Fatalf("Validate accepted a frame with bytes after its value")
			}
		}
		env, err := wire.Decode(frame, limits)
		if id, seq, d, ok := wire.DecodeInputFrame(frame); ok {
			var general uint32
			if err == nil {
				general, err = wire.InputSeq(env.D)
			}
			if err != nil || env.T != wire.TypeInput || env.ID != id || general != seq || !bytes.Equal(env.D, d) {
				t.Fatalf("DecodeInputFrame took %d %d %x; the general decoders give %+v %d, %v", id, seq, d, env, general, err)
			}
		}
		if err != nil {
			return
		}
		var lib wire.Envelope
		if msgpack.Unmarshal(frame, &lib) == nil && (lib.T != env.T || lib.ID != env.ID) {
			t.Fatalf("envelope: hand %q/%d, library %q/%d", env.T, env.ID, lib.T, lib.ID)
		}
		for _, typ := range []string{wire.TypePing, wire.TypeCreate, wire.TypeJoin, wire.TypeReauth, wire.TypeKick, wire.TypeEvent, wire.TypeJoined} {
			_ = wire.DecodePayload(env.D, wire.NewPayload(typ))
		}
		var hand, libIn wire.Input
		handErr := wire.DecodePayload(env.D, &hand)
		valid, validErr := wire.InputSeq(env.D)
		if (validErr == nil) != (handErr == nil) || valid != hand.Seq {
			t.Fatalf("input of a decoded envelope: %d (%v), checked again %+v (%v)", valid, validErr, hand, handErr)
		}
		libErr := msgpack.Unmarshal(env.D, &libIn)
		if len(env.D) > 0 && handErr == nil && libErr == nil && hand != libIn {
			t.Fatalf("input: hand %+v, library %+v", hand, libIn)
		}
		if j, err := wire.FrameJSON(frame, limits); err == nil && !json.Valid(j) {
			t.Fatalf("FrameJSON wrote invalid JSON: %s", j)
		}
	})
}
