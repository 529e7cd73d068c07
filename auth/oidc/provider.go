package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/tickwire/tickwire/server/wire"
	"golang.org/x/oauth2"
)

// Config is one provider as the host configures it.
type Config struct {
	Name         string // [a-z0-9-]{1,32}, used in URLs
	DisplayName  string // shown on the sign-in button
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string // default DefaultScopes
}

// DefaultScopes are asked for when a provider's configuration names none.
var DefaultScopes = []string{gooidc.ScopeOpenID, "profile", "email"}

var nameRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// ValidName reports whether name can name a provider: 1 to 32 of a-z 0-9 -.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Limits of a provider's calls; zero values take the defaults below.
type Limits struct {
	Timeout      time.Duration // bound on every call to the provider (default 10 s)
	Retry        time.Duration // after a failed discovery, how long before asking again (default 10 s)
	RefreshEvery time.Duration // how long a discovery document is used before it is fetched again (default 1 h)
}

// ErrUnavailable: the provider's discovery document cannot be had now.
var ErrUnavailable = &wire.Error{Code: wire.CodeProviderUnavailable, Message: "the identity provider cannot be reached; try again shortly"}

// Provider is the relying party for one configured provider.
type Provider struct {
	cfg    Config
	limits Limits
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex // held across a discovery, so callers wait for one fetch rather than start their own
	disc     *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	fetched  time.Time
	failed   time.Time
}

// New returns the relying party for cfg. client, when set, makes the provider calls (its own
// timeout is replaced by limits.Timeout); now, when set, is the clock for ID token expiry.
func New(cfg Config, limits Limits, client *http.Client, now func() time.Time) *Provider {
	if limits.Timeout <= 0 {
		limits.Timeout = 10 * time.Second
	}
	if limits.Retry <= 0 {
		limits.Retry = 10 * time.Second
	}
	if limits.RefreshEvery <= 0 {
		limits.RefreshEvery = time.Hour
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes
	}
	c := &http.Client{Timeout: limits.Timeout}
	if client != nil {
		cp := *client
		cp.Timeout = limits.Timeout
		c = &cp
	}
	// A provider's redirects are not followed into our own flow: discovery, keys and the token
	// endpoint answer directly.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if now == nil {
		now = time.Now
	}
	return &Provider{cfg: cfg, limits: limits, client: c, now: now}
}

// Name returns the provider's configured name.
func (p *Provider) Name() string { return p.cfg.Name }

// DisplayName returns the name shown on its sign-in button.
func (p *Provider) DisplayName() string { return p.cfg.DisplayName }

// Issuer returns the configured issuer.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

func (p *Provider) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

// discover returns the provider's discovery document and ID token verifier, fetching them
// when there are none yet or they are due for a refresh. A failed refresh keeps the old ones.
func (p *Provider) discover(ctx context.Context) (*gooidc.Provider, *gooidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	fresh := p.disc != nil && now.Sub(p.fetched) < p.limits.RefreshEvery
	if fresh || (!p.failed.IsZero() && now.Sub(p.failed) < p.limits.Retry) {
		if p.disc == nil {
			return nil, nil, ErrUnavailable
		}
		return p.disc, p.verifier, nil
	}
	// The key set go-oidc builds keeps cctx for its own fetches: it must outlive the request
	// and carry our bounded client. The discovery request itself ends with ctx.
	cctx := p.clientContext(context.Background())
	fctx, cancel := context.WithTimeout(p.clientContext(ctx), p.limits.Timeout)
	defer cancel()
	disc, err := newDiscovery(fctx, cctx, p.cfg.Issuer)
	if err != nil {
		p.failed = now
		if p.disc != nil {
			return p.disc, p.verifier, nil
		}
		return nil, nil, ErrUnavailable
	}
	p.disc, p.fetched, p.failed = disc, now, time.Time{}
	p.verifier = disc.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID, Now: p.now, SupportedSigningAlgs: signingAlgs(disc)})
	return p.disc, p.verifier, nil
}

// newDiscovery fetches the discovery document within fctx; the key set it makes uses cctx.
func newDiscovery(fctx, cctx context.Context, issuer string) (*gooidc.Provider, error) {
	d, err := gooidc.NewProvider(fctx, issuer)
	if err != nil {
		return nil, err
	}
	var meta gooidc.ProviderConfig
	if err := d.Claims(&meta); err != nil {
		return nil, err
	}
	return meta.NewProvider(cctx), nil
}

// signingAlgs is the provider's advertised ID token algorithms, none of them "none" or HMAC
// (go-oidc refuses those anyway); empty means go-oidc's default, RS256.
func signingAlgs(d *gooidc.Provider) []string {
	var meta struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	_ = d.Claims(&meta)
	return slices.DeleteFunc(meta.Algs, func(a string) bool { return a == "none" || strings.HasPrefix(a, "HS") })
}

// Warm fetches the discovery document now, so the first sign-in does not wait for it.
func (p *Provider) Warm(ctx context.Context) error {
	_, _, err := p.discover(ctx)
	return err
}

// Request is a new authorization request: what the callback will need and the URL to send
// the browser to.
type Request struct {
	State    string // the state parameter, secret until the callback
	Verifier string // the PKCE code verifier
	Nonce    string
	URL      string
}

// Begin makes a fresh state, PKCE verifier and nonce and the provider's authorization URL
// for them, with redirectURI as the callback.
func (p *Provider) Begin(ctx context.Context, redirectURI string) (Request, error) {
	disc, _, err := p.discover(ctx)
	if err != nil {
		return Request{}, err
	}
	r := Request{State: Random(), Verifier: oauth2.GenerateVerifier(), Nonce: Random()}
	r.URL = p.oauth(disc, redirectURI).AuthCodeURL(r.State, oauth2.S256ChallengeOption(r.Verifier), gooidc.Nonce(r.Nonce))
	return r, nil
}

func (p *Provider) oauth(disc *gooidc.Provider, redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: disc.Endpoint(), RedirectURL: redirectURI, Scopes: p.cfg.Scopes}
}

// Claims are what Tickwire takes from a verified ID token.
type Claims struct {
	Issuer            string
	Subject           string
	PreferredUsername string
	Name              string
	Email             string
}

// ErrFailed: the code exchange or the ID token was refused.
var ErrFailed = &wire.Error{Code: wire.CodeOIDCFailed, Message: "the identity provider's answer could not be verified"}

// Finish trades code for the provider's tokens with the PKCE verifier, verifies the ID token
// (signature by the provider's keys, iss, aud, exp) and its nonce, and returns its claims.
// The provider's access and refresh tokens are dropped here. Its error is ErrFailed or
// ErrUnavailable; the cause is wrapped for the log and never holds the code or a token.
func (p *Provider) Finish(ctx context.Context, redirectURI, code, verifier, nonce string) (Claims, error) {
	disc, v, err := p.discover(ctx)
	if err != nil {
		return Claims{}, err
	}
	ctx, cancel := context.WithTimeout(p.clientContext(ctx), p.limits.Timeout)
	defer cancel()
	tok, err := p.oauth(disc, redirectURI).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Claims{}, fmt.Errorf("%w (code exchange: %s)", ErrFailed, exchangeCause(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Claims{}, fmt.Errorf("%w (no id_token in the token response)", ErrFailed)
	}
	return p.verify(ctx, v, raw, nonce)
}

// exchangeCause describes a failed exchange without the response body, which may echo the code.
func exchangeCause(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return "provider answered " + re.ErrorCode
		}
		if re.Response != nil {
			return "provider answered HTTP " + re.Response.Status
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "request failed"
}

// VerifyIDToken verifies an ID token a native client got from the provider itself: signature,
// iss, aud (the configured client_id) and exp; no nonce, since we did not make the request.
func (p *Provider) VerifyIDToken(ctx context.Context, raw string) (Claims, error) {
	_, v, err := p.discover(ctx)
	if err != nil {
		return Claims{}, err
	}
	ctx, cancel := context.WithTimeout(p.clientContext(ctx), p.limits.Timeout)
	defer cancel()
	return p.verify(ctx, v, raw, "")
}

func (p *Provider) verify(ctx context.Context, v *gooidc.IDTokenVerifier, raw, nonce string) (Claims, error) {
	if len(raw) > 16<<10 {
		return Claims{}, fmt.Errorf("%w (ID token too large)", ErrFailed)
	}
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return Claims{}, fmt.Errorf("%w (ID token: %s)", ErrFailed, verifyCause(err))
	}
	if nonce != "" && !equalHashed(idt.Nonce, nonce) {
		return Claims{}, fmt.Errorf("%w (ID token: wrong nonce)", ErrFailed)
	}
	var c struct {
		PreferredUsername string `json:"preferred_username"`
		Name              string `json:"name"`
		Email             string `json:"email"`
	}
	if err := idt.Claims(&c); err != nil {
		return Claims{}, fmt.Errorf("%w (ID token claims: %v)", ErrFailed, err)
	}
	if idt.Subject == "" || len(idt.Subject) > 255 {
		return Claims{}, fmt.Errorf("%w (ID token: bad sub)", ErrFailed)
	}
	return Claims{Issuer: idt.Issuer, Subject: idt.Subject, PreferredUsername: c.PreferredUsername, Name: c.Name, Email: c.Email}, nil
}

// verifyCause names what was wrong with an ID token, without the token.
func verifyCause(err error) string {
	var te *gooidc.TokenExpiredError
	if errors.As(err, &te) {
		return "expired"
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Random returns 256 random bits, base64url: states, nonces and binding cookies.
func Random() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashValue is how states and binding cookies are kept: SHA-256, hex.
func HashValue(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

// equalHashed compares two secrets in constant time.
func equalHashed(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return ha == hb
}

// SameBinding reports whether a binding cookie's value matches a state's stored hash.
func SameBinding(cookie, storedHash string) bool {
	h := sha256.Sum256([]byte(cookie))
	want, err := hex.DecodeString(storedHash)
	return err == nil && len(want) == len(h) && subtle.ConstantTimeCompare(h[:], want) == 1
}
