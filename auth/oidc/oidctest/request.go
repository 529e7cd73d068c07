package oidctest

import (
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequest is one authorization request in flight at the provider.
type authRequest struct {
	id       string
	req      oidc.AuthRequest
	st       *storage
	created  time.Time
	subject  string
	done     bool
	authTime time.Time
}

func (a *authRequest) GetID() string                      { return a.id }
func (a *authRequest) GetACR() string                     { return "" }
func (a *authRequest) GetAMR() []string                   { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string              { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time             { return a.authTime }
func (a *authRequest) GetClientID() string                { return a.req.ClientID }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }

func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}

// GetNonce is the request's nonce, or another one when the provider is set to misbehave.
func (a *authRequest) GetNonce() string {
	a.st.mu.Lock()
	wrong := a.st.behaviour.WrongNonce
	a.st.mu.Unlock()
	if wrong {
		return "not-" + a.req.Nonce
	}
	return a.req.Nonce
}

// client is a confidential web client.
type client struct {
	id, secret string
	redirects  []string
	st         *storage
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return c.redirects }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string            { return "/login?id=" + id }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) DevMode() bool                        { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) IsScopeAllowed(string) bool           { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IDTokenLifetime is five minutes, or what the misbehaving provider is set to.
func (c *client) IDTokenLifetime() time.Duration {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	if d := c.st.behaviour.IDTokenLifetime; d != 0 {
		return d
	}
	return 5 * time.Minute
}

// RedirectURIGlobs are the redirect URIs given with a '*' (path.Match patterns), for a
// client whose server's port is not known in advance.
func (c *client) RedirectURIGlobs() []string {
	var out []string
	for _, r := range c.redirects {
		if strings.Contains(r, "*") {
			out = append(out, r)
		}
	}
	return out
}

func (c *client) PostLogoutRedirectURIGlobs() []string { return nil }
