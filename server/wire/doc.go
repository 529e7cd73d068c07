// Package wire defines Tickwire's socket protocol: its vocabulary (frame types, close codes,
// error codes and event kinds, in vocabulary.go), the MessagePack envelope, every message type
// and its payload, and the one msgpack reader and appender that the server, the engine and the
// Go client share.
//
// Reader reads values in place and checks every declared length against the bytes left, so it
// is safe on any bytes. Validate is Reader's walk with limits (nesting, the count of values,
// string keys, no extension types) and runs before any decoding, so that a hostile frame costs
// bounded memory and time. Decode then reads the envelope and the input payload with a Reader,
// and the other payloads through the msgpack library into typed structs; FrameJSON renders a
// validated frame with a Reader too. The Append helpers encode without an encoder, for the
// snapshot frame that is written every tick and for the state a game writes into it.
//
// Clients import this package; it imports nothing of Tickwire's. PROTOCOL.md at the repository
// root is the prose form of what is here; testdata/golden.json holds real frames and
// testdata/vocabulary.json the vocabulary, for clients in other languages to test against.
//
// Concurrency: the package holds no state but pools; every function is safe for concurrent use,
// and a Reader belongs to the goroutine that reads with it.
package wire
