package goclient

import "github.com/tickwire/tickwire/server/wire"

// The few fields a bot needs per frame (the envelope's t and d, the snapshot's tick and ack, one
// player's row) are read in place with wire.Reader, which allocates nothing: the msgpack
// library's Decoder allocates a string for every map key it reads, which at 20 snapshots a
// second per bot is the largest cost of a lean client. Snapshots are not validated first, but
// the Reader checks every length it reads against the bytes left, so reading one never panics.

// scanEnvelope reads a frame's t, id and raw d without copying.
func scanEnvelope(frame []byte) (t []byte, id uint64, d []byte, ok bool) {
	r := wire.NewReader(frame)
	for n := r.MapLen(); n > 0 && r.Err() == nil; n-- {
		switch string(r.Str()) {
		case "t":
			t = r.Str()
		case "id":
			id = r.Uint()
		case "d":
			if n == 1 {
				// The last entry, as servers write it: the payload runs to the end, and
				// walking it here only to find that end would read a snapshot twice.
				d = r.Rest()
				continue
			}
			start := r.Offset()
			r.Skip()
			d = r.Since(start)
		default:
			r.Skip()
		}
	}
	return t, id, d, r.Err() == nil && t != nil
}

// scanTickAck reads a snapshot payload's tick and ack.
func scanTickAck(d []byte) (tick uint64, ack uint32, ok bool) {
	r := wire.NewReader(d)
	seen := 0
	for n := r.MapLen(); n > 0 && r.Err() == nil && seen < 2; n-- {
		switch string(r.Str()) {
		case "tick":
			tick = r.Uint()
			seen++
		case "ack":
			ack = uint32(r.Uint())
			seen++
		default:
			r.Skip()
		}
	}
	return tick, ack, r.Err() == nil
}
