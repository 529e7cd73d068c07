// Package auth owns Tickwire's identity: password hashing, signing keys, access and refresh
// tokens, sessions and their revocation. It knows nothing of HTTP or of storage; it declares
// the Sessions interface that package store implements.
//
// Concurrency: a Service is safe for concurrent use. The revocation index is read on every
// token check and written only after the store has committed a revocation.
package auth
