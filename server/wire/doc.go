// Package wire defines Tickwire's socket protocol: the MessagePack envelope, every message type
// and its payload, and a decoder that validates a frame's structure before any allocation so
// that a hostile frame costs bounded memory and time.
//
// Clients import this package; it imports nothing of Tickwire's. PROTOCOL.md at the repository
// root is the prose form of what is here.
package wire
