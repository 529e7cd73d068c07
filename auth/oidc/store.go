package oidc

import (
	"context"
	"errors"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// Intents of an authorization request.
const (
	IntentLogin = "login" // sign in, or create the account on a first login
	IntentLink  = "link"  // add the identity to State.AccountID
)

// State is one authorization request in flight, as the store keeps it until its callback.
type State struct {
	Hash      string // SHA-256 of the state parameter, hex (HashValue)
	Provider  string
	Verifier  string // the PKCE code verifier
	Nonce     string
	Intent    string
	AccountID string // the account a link is for; empty for a login
	ReturnTo  string // a same-origin path
	Binding   string // SHA-256 of the browser-binding cookie, hex (HashValue)
	ExpiresAt time.Time
}

// Identity is an account's identity at a provider, keyed by (Issuer, Subject).
type Identity struct {
	Issuer    string
	Subject   string
	Provider  string // the provider's configured name when it was linked
	AccountID string
	CreatedAt time.Time
}

// Errors of the store.
var (
	// ErrTooManyPending: the number of pending states is at its bound.
	ErrTooManyPending = &wire.Error{Code: wire.CodeRateLimited, Message: "too many sign-ins in progress; try again in a minute", RetryAfter: 60}
	// ErrIdentityTaken: the identity belongs to another account, or the account already has
	// another identity at that provider.
	ErrIdentityTaken = &wire.Error{Code: wire.CodeIdentityTaken, Message: "that identity is linked to another account"}
	// ErrLastLoginMethod: unlinking would leave the account with no way to sign in.
	ErrLastLoginMethod = &wire.Error{Code: wire.CodeLastLoginMethod, Message: "this is the account's only way to sign in: set a password or link another identity first"}
	// ErrStateInvalid: the state is missing, unknown, expired, used or not this browser's.
	ErrStateInvalid = &wire.Error{Code: wire.CodeOIDCState, Message: "the sign-in request is unknown, expired, already used or from another browser"}
)

// Store is what the relying party keeps in the database. Every method that changes state
// commits before it returns.
type Store interface {
	// SaveState stores st unless max states that expire after now are pending already
	// (ErrTooManyPending). Expired states are dropped on the way.
	SaveState(ctx context.Context, st State, now time.Time, max int) error
	// TakeState removes and returns the state with hash that expires after now, at most once
	// across every caller; auth.ErrNotFound when there is none.
	TakeState(ctx context.Context, hash string, now time.Time) (State, error)
	// IdentityAccount returns the id of the account holding (issuer, subject), or
	// auth.ErrNotFound.
	IdentityAccount(ctx context.Context, issuer, subject string) (string, error)
	// CreateIdentityAccount creates a password-less account and its first identity together:
	// auth.ErrUsernameTaken or ErrIdentityTaken change nothing.
	CreateIdentityAccount(ctx context.Context, a auth.Account, id Identity) error
	// LinkIdentity adds id to its account: ErrIdentityTaken when it belongs to another account
	// or the account has another identity at that provider; linking it again is no error.
	LinkIdentity(ctx context.Context, id Identity) error
	// UnlinkIdentity removes the account's identity at provider: auth.ErrNotFound when it has
	// none, ErrLastLoginMethod when the account has no password and no other identity.
	UnlinkIdentity(ctx context.Context, accountID, provider string) error
	// Identities lists the account's identities, oldest first.
	Identities(ctx context.Context, accountID string) ([]Identity, error)
}

// IsNotFound reports whether err is the store's not-found.
func IsNotFound(err error) bool { return errors.Is(err, auth.ErrNotFound) }
