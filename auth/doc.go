// Package auth owns Tickwire's identity: password hashing, signing keys, access and refresh
// tokens, sessions and their revocation. It knows nothing of HTTP or of storage; it declares
// the Sessions interface that package store implements.
//
// The token lifecycle: Login (or Guest) starts a session, a sid that stays the same across
// refreshes, and returns an access token and a single-use refresh token. Refresh swaps the
// session's expected refresh jti in one compare-and-swap in the store; presenting a refresh
// token that was already used ends the session (reuse detection). Logout, a ban and reuse
// detection are committed to the store before they are acknowledged, then recorded in the
// Index, which VerifyAccess reads without touching disk.
//
// Concurrency: a Service is safe for concurrent use once its fields are set and Load has run.
// The Index is read on every token check and written only after the store has committed; it
// is rebuilt from the store at start (Load) and trimmed of what has expired (Sweep); a server
// also feeds it what other processes (the command line) commit. A Hasher bounds the hashes in flight and the
// callers waiting for one. A KeySet reloads its folder at most once per ReloadEvery.
package auth
