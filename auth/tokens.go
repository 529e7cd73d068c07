package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
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

// Tokens signs and verifies Tickwire's JWTs with a KeySet.
type Tokens struct {
	Keys       *KeySet
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Now        func() time.Time
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
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   s.AccountID,
			Audience:  jwt.ClaimStrings{aud},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        NewID(),
		},
		Name:  s.Username,
		SID:   s.SessionID,
		Scope: scope,
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
// next check (Service.VerifyAccess does both).
func (t *Tokens) ParseAccess(raw string) (*Claims, error) {
	return t.parse(raw, TypeAccess, AudienceAccess)
}

// ParseRefresh is ParseAccess for refresh tokens.
func (t *Tokens) ParseRefresh(raw string) (*Claims, error) {
	return t.parse(raw, TypeRefresh, AudienceRefresh)
}

var errWrongType = errors.New("wrong token type")

func (t *Tokens) parse(raw, typ, aud string) (*Claims, error) {
	if raw == "" {
		return nil, errorf(CodeInvalidToken, "no token")
	}
	if len(raw) > MaxTokenBytes {
		return nil, errorf(CodeInvalidToken, "token too long")
	}
	if strings.Count(raw, ".") != 2 {
		return nil, errorf(CodeInvalidToken, "token malformed")
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(aud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(t.Now),
	)
	c := &Claims{}
	_, err := p.ParseWithClaims(raw, c, func(tok *jwt.Token) (any, error) {
		if h, _ := tok.Header["typ"].(string); h != typ {
			return nil, errWrongType
		}
		kid, _ := tok.Header["kid"].(string)
		k, ok := t.Keys.Lookup(kid)
		if !ok {
			return nil, ErrNoKey
		}
		return k.Public, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errorf(CodeTokenExpired, "token expired")
	case errors.Is(err, errWrongType):
		return nil, errorf(CodeInvalidToken, "wrong token type")
	case errors.Is(err, ErrNoKey):
		return nil, errorf(CodeInvalidToken, "unknown signing key")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, errorf(CodeInvalidToken, "bad signature")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, errorf(CodeInvalidToken, "token not valid yet")
	default:
		return nil, errorf(CodeInvalidToken, "token invalid")
	}
	if c.Subject == "" || c.ID == "" || c.SID == "" || c.NotBefore == nil || c.IssuedAt == nil {
		return nil, errorf(CodeInvalidToken, "token lacks a required claim")
	}
	return c, nil
}
