// Package oidc is Tickwire's OpenID Connect relying party: the configured providers, their
// discovery documents and keys, the authorization code flow with PKCE (S256), state and
// nonce, and the verification of ID tokens. It calls providers as an HTTP client and routes
// no HTTP itself; the server wires its routes to it, and the store keeps its pending states
// and the identities (Store).
//
// A Provider is safe for use by many goroutines. Its discovery document is fetched on first
// use (or by Warm), kept, and fetched again every RefreshEvery; after a failure it is not
// asked again for Retry, during which ErrUnavailable answers at once. Every call to a
// provider is bounded by Timeout.
package oidc
