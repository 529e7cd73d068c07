package oidc

import (
	"context"
	"errors"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// Accounts turns verified identities into Tickwire accounts and sessions.
type Accounts struct {
	Store Store
	Auth  *auth.Service
	Now   func() time.Time
}

// ErrNoNewAccounts: a first login where the server takes no new accounts.
var ErrNoNewAccounts = &wire.Error{Code: "registration_closed", Message: "this server takes no new accounts; ask its admin"}

// Login signs in the account holding c's identity, creating it first when there is none and
// allowNew is set. Accounts are found by (iss, sub) alone, never by email.
func (a *Accounts) Login(ctx context.Context, provider string, c Claims, allowNew bool) (auth.Pair, error) {
	id, err := a.Store.IdentityAccount(ctx, c.Issuer, c.Subject)
	if IsNotFound(err) {
		if !allowNew {
			return auth.Pair{}, ErrNoNewAccounts
		}
		id, err = a.create(ctx, provider, c)
	}
	if err != nil {
		return auth.Pair{}, err
	}
	return a.Auth.SignInAs(ctx, id, provider)
}

// create makes the account of a first login, named from its claims and made unique.
func (a *Accounts) create(ctx context.Context, provider string, c Claims) (string, error) {
	for attempt := range 6 {
		acct := auth.Account{ID: auth.NewAccountID(), Username: UsernameFor(c, attempt), Scopes: []string{auth.ScopePlay, auth.ScopeHost}, CreatedAt: a.Now()}
		err := a.Store.CreateIdentityAccount(ctx, acct, Identity{Issuer: c.Issuer, Subject: c.Subject, Provider: provider, CreatedAt: a.Now()})
		switch {
		case err == nil:
			return acct.ID, nil
		case errors.Is(err, ErrIdentityTaken):
			// The same identity's first login, at the same moment, made it: use that one.
			return a.Store.IdentityAccount(ctx, c.Issuer, c.Subject)
		case !errors.Is(err, auth.ErrUsernameTaken):
			return "", err
		}
	}
	return "", &wire.Error{Code: wire.CodeInternal, Message: "could not find a free username"}
}

// Link adds c's identity to the account accountID, which must still stand.
func (a *Accounts) Link(ctx context.Context, accountID, provider string, c Claims) error {
	acct, err := a.Auth.Store.AccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	if acct.Disabled {
		return auth.ErrAccountDisabled
	}
	return a.Store.LinkIdentity(ctx, Identity{Issuer: c.Issuer, Subject: c.Subject, Provider: provider, AccountID: accountID, CreatedAt: a.Now()})
}
