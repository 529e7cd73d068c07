// Package wire defines Tickwire's socket protocol: the MessagePack envelope, every message type
// and its payload, and a decoder that validates a frame's structure before any allocation so
// that a hostile frame costs bounded memory and time.
//
// Decoding is Validate first (every declared length against the bytes left, nesting, the count
// of values, string keys, no extension types), then the envelope and the input payload by hand,
// and the other payloads through the msgpack library into typed structs. The Append helpers
// encode without an encoder, for the snapshot frame that is written every tick.
//
// Clients import this package; it imports nothing of Tickwire's. PROTOCOL.md at the repository
// root is the prose form of what is here, and testdata/golden.json holds real frames for clients
// in other languages to test against.
//
// Concurrency: the package holds no state but pools; every function is safe for concurrent use.
package wire
