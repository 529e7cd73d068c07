package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token purposes, carried in the JOSE header's typ (RFC 8725 §3.11 explicit typing) and in
// distinct audiences, so that a refresh token is never taken for an access token or the reverse.
const (
	TypeAccess  = "at+jwt"
	TypeRefresh = "rt+jwt"

	Issuer          = "tickwire"
	AudienceAccess  = "tickwire"
	AudienceRefresh = "tickwire/refresh"
)

// Scopes.
const (
	ScopePlay  = "play"
	ScopeHost  = "host"
	ScopeAdmin = "admin"
)

// MaxTokenBytes bounds a token's length; a longer one is refused before any parsing.
const MaxTokenBytes = 4096

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 5 * time.Second

// Claims are the claims Tickwire's tokens carry.
type Claims struct {
	jwt.RegisteredClaims
	Name  string `json:"name"`
	SID   string `json:"sid"`
	Scope string `json:"scope,omitempty"`
	// IDP names the OpenID Connect provider the session signed in with; empty otherwise.
	IDP string `json:"idp,omitempty"`
	// AuthTime is when the session's login happened, carried by refresh tokens so that a
	// session's age is known at every refresh (OpenID Connect's auth_time).
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
}

// HasScope reports whether c grants scope s.
func (c *Claims) HasScope(s string) bool {
	for f := range strings.FieldsSeq(c.Scope) {
		if f == s {
			return true
		}
	}
	return false
}

// Tokens signs and verifies Tickwire's JWTs with a KeySet. Set its fields before first use and
// do not copy it after.
type Tokens struct {
	Keys       *KeySet
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Now        func() time.Time

	once sync.Once
	ps   *tokenParsers
}

// NewID returns a random 128-bit identifier, for jti and sid.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Subject names who a token is for.
type Subject struct {
	AccountID string
	Username  string
	SessionID string
	Scope     string
	IDP       string // the provider of an OpenID Connect sign-in, carried by every token of the session
	// AuthTime is when the session's login happened; refresh tokens carry it.
	AuthTime time.Time
	// NotAfter, when set, caps every token's exp: the end of the session's maximum age.
	NotAfter time.Time
}

// Signed is a signed token with its claims.
type Signed struct {
	Token  string
	Claims *Claims
}

// IssueAccess signs an access token for s.
func (t *Tokens) IssueAccess(s Subject) (Signed, error) {
	return t.issue(s, TypeAccess, AudienceAccess, t.AccessTTL, s.Scope)
}

// IssueRefresh signs a refresh token for s; its jti is the one the session expects next.
func (t *Tokens) IssueRefresh(s Subject) (Signed, error) {
	return t.issue(s, TypeRefresh, AudienceRefresh, t.RefreshTTL, "")
}

func (t *Tokens) issue(s Subject, typ, aud string, ttl time.Duration, scope string) (Signed, error) {
	now := t.Now().Truncate(time.Second)
	exp := now.Add(ttl)
	if !s.NotAfter.IsZero() && s.NotAfter.Before(exp) {
		exp = s.NotAfter.Truncate(time.Second)
	}
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   s.AccountID,
			Audience:  jwt.ClaimStrings{aud},
			ExpiresAt: jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        NewID(),
		},
		Name:  s.Username,
		SID:   s.SessionID,
		Scope: scope,
		IDP:   s.IDP,
	}
	if typ == TypeRefresh && !s.AuthTime.IsZero() {
		c.AuthTime = jwt.NewNumericDate(s.AuthTime)
	}
	k := t.Keys.Signing()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = k.ID
	tok.Header["typ"] = typ
	signed, err := tok.SignedString(k.Private)
	if err != nil {
		return Signed{}, fmt.Errorf("sign token: %w", err)
	}
	return Signed{Token: signed, Claims: c}, nil
}

// ParseAccess checks that raw is an access token of ours: size, algorithm, signature, kid,
// typ, iss, aud, exp, nbf, iat and the presence of sub, jti and sid. Revocation is the caller's
// next check (Service.VerifyAccess does both). The signature is checked before any claim, so a
// token that is both expired and tampered with is reported as invalid, not as expired.
func (t *Tokens) ParseAccess(raw string) (*Claims, error) {
	return t.parse(raw, &t.parsers().access)
}

// ParseRefresh is ParseAccess for refresh tokens.
func (t *Tokens) ParseRefresh(raw string) (*Claims, error) {
	return t.parse(raw, &t.parsers().refresh)
}

// purpose is one kind of token and the parser that accepts only it.
type purpose struct {
	typ    string
	parser *jwt.Parser
	keyFn  jwt.Keyfunc
}

type tokenParsers struct{ access, refresh purpose }

// parsers builds, once, the two parsers: a jwt.Parser holds only its options, so one serves
// every concurrent caller and the hot path (socket reauth) allocates no parser.
func (t *Tokens) parsers() *tokenParsers {
	t.once.Do(func() {
		now := func() time.Time { return t.Now() }
		mk := func(typ, aud string) purpose {
			p := purpose{typ: typ, parser: jwt.NewParser(
				jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
				jwt.WithIssuer(Issuer),
				jwt.WithAudience(aud),
				jwt.WithExpirationRequired(),
				jwt.WithIssuedAt(),
				jwt.WithLeeway(Leeway),
				jwt.WithTimeFunc(now),
			)}
			p.keyFn = func(tok *jwt.Token) (any, error) { return t.key(tok, typ) }
			return p
		}
		t.ps = &tokenParsers{access: mk(TypeAccess, AudienceAccess), refresh: mk(TypeRefresh, AudienceRefresh)}
	})
	return t.ps
}

var (
	errWrongType = errors.New("wrong token type")
	errCrit      = errors.New("critical header")
)

// key checks the JOSE header and returns the public key its kid names.
func (t *Tokens) key(tok *jwt.Token, typ string) (any, error) {
	if h, _ := tok.Header["typ"].(string); h != typ {
		return nil, errWrongType
	}
	// RFC 7515 §4.1.11: a recipient must refuse a token whose crit lists what it does not
	// understand; this server understands no extension.
	if _, ok := tok.Header["crit"]; ok {
		return nil, errCrit
	}
	kid, _ := tok.Header["kid"].(string)
	k, ok := t.Keys.Lookup(kid)
	if !ok {
		return nil, ErrNoKey
	}
	return k.Public, nil
}

func (t *Tokens) parse(raw string, p *purpose) (*Claims, error) {
	// Cheap checks first, before any decoding: a megabyte of dots costs one length check.
	if raw == "" {
		return nil, errNoToken
	}
	if len(raw) > MaxTokenBytes {
		return nil, errTokenTooLong
	}
	if strings.Count(raw, ".") != 2 {
		return nil, errTokenMalformed
	}
	c := &Claims{}
	_, err := p.parser.ParseWithClaims(raw, c, p.keyFn)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errTokenExpired
	case errors.Is(err, errWrongType):
		return nil, errWrongTypeCode
	case errors.Is(err, errCrit):
		return nil, errCritHeader
	case errors.Is(err, ErrNoKey):
		return nil, errUnknownKey
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, errBadSignature
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, errNotYetValid
	default:
		return nil, errTokenInvalid
	}
	if c.Subject == "" || c.ID == "" || c.SID == "" || c.Name == "" || c.NotBefore == nil || c.IssuedAt == nil {
		return nil, errMissingClaim
	}
	// The scope is not judged here: a token without a scope an endpoint needs is refused
	// there, with forbidden (403), as the contract asks of sockets without play.
	return c, nil
}
