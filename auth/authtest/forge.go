// Package authtest makes tokens by hand, right and wrong, for tests of the token verifier: the
// hostile tokens a verifier must refuse, each with the error code it must refuse it with. Only
// tests import it.
package authtest

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// Subject is who the forged tokens name: a real account and a live session, so that a forged
// token is refused for what is wrong with it and nothing else.
type Subject struct {
	AccountID string
	Username  string
	SessionID string
}

// Case is one hostile token and the code a verifier must answer it with.
type Case struct {
	Name  string
	Token string
	Code  string
}

var b64 = base64.RawURLEncoding

func segment(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b64.EncodeToString(b)
}

// Header is a JOSE header as this server writes one for access tokens.
func Header(kid string) map[string]any {
	return map[string]any{"alg": "EdDSA", "typ": auth.TypeAccess, "kid": kid}
}

// Claims are valid access-token claims for s at now, lasting ttl.
func Claims(s Subject, now time.Time, ttl time.Duration) map[string]any {
	return map[string]any{
		"iss": auth.Issuer, "aud": auth.AudienceAccess, "sub": s.AccountID, "name": s.Username,
		"sid": s.SessionID, "scope": "play host", "jti": auth.NewID(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	}
}

// SignEdDSA returns header.claims signed with key.
func SignEdDSA(header, claims map[string]any, key ed25519.PrivateKey) string {
	in := segment(header) + "." + segment(claims)
	return in + "." + b64.EncodeToString(ed25519.Sign(key, []byte(in)))
}

// SignHS256 returns header.claims with an HMAC-SHA256 signature made with secret.
func SignHS256(header, claims map[string]any, secret []byte) string {
	in := segment(header) + "." + segment(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64.EncodeToString(m.Sum(nil))
}

// FlipSignatureByte returns tok with one byte of its decoded signature changed.
func FlipSignatureByte(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, err := b64.DecodeString(tok[i+1:])
	if err != nil || len(sig) == 0 {
		panic("authtest: not a signed token")
	}
	sig[len(sig)/2] ^= 0x01
	return tok[:i+1] + b64.EncodeToString(sig)
}

// ChangePayload returns tok with its payload re-encoded after change, keeping the signature.
func ChangePayload(tok string, change func(map[string]any)) string {
	parts := strings.Split(tok, ".")
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		panic(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		panic(err)
	}
	change(c)
	parts[1] = segment(c)
	return strings.Join(parts, ".")
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// Hostile returns the forged tokens a verifier of access tokens signed by key must refuse, for
// subject s at the verifier's time now. refresh is a real refresh token of s's session.
// The cases that need server state (a revoked jti, an ended session, a banned account) are
// the caller's.
func Hostile(key *auth.Key, s Subject, now time.Time, refresh string) []Case {
	h := Header(key.ID)
	c := Claims(s, now, 10*time.Minute)
	sign := func(h, c map[string]any) string { return SignEdDSA(h, c, key.Private) }
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	past := now.Add(-time.Hour)
	expired := sign(h, with(c, "iat", past.Unix(), "nbf", past.Unix(), "exp", now.Add(-time.Minute).Unix()))
	good := sign(h, c)
	x := b64.EncodeToString(key.Public)
	return []Case{
		{"alg none", segment(with(h, "alg", "none")) + "." + segment(c) + ".", wire.CodeInvalidToken},
		{"alg none with a signature", segment(with(h, "alg", "none")) + "." + segment(c) + "." + good[strings.LastIndexByte(good, '.')+1:], wire.CodeInvalidToken},
		{"HS256 signed with the public key", SignHS256(with(h, "alg", "HS256"), c, key.Public), wire.CodeInvalidToken},
		{"HS256 signed with the public key as in the JWKS", SignHS256(with(h, "alg", "HS256"), c, []byte(x)), wire.CodeInvalidToken},
		{"unknown kid", sign(with(h, "kid", "20200101T000000.000000Z-nosuchkey"), c), wire.CodeInvalidToken},
		{"no kid", sign(with(h, "kid", nil), c), wire.CodeInvalidToken},
		{"kid not a string", sign(with(h, "kid", 7), c), wire.CodeInvalidToken},
		{"kid a path", sign(with(h, "kid", "../keys/x"), c), wire.CodeInvalidToken},
		{"another key under the real kid", SignEdDSA(h, c, otherKey), wire.CodeInvalidToken},
		{"wrong iss", sign(h, with(c, "iss", "evil")), wire.CodeInvalidToken},
		{"no iss", sign(h, with(c, "iss", nil)), wire.CodeInvalidToken},
		{"wrong aud as a string", sign(h, with(c, "aud", "other")), wire.CodeInvalidToken},
		{"wrong aud as an array", sign(h, with(c, "aud", []string{"other", "another"})), wire.CodeInvalidToken},
		{"refresh aud on an access typ", sign(h, with(c, "aud", auth.AudienceRefresh)), wire.CodeInvalidToken},
		{"no aud", sign(h, with(c, "aud", nil)), wire.CodeInvalidToken},
		{"nbf in the future", sign(h, with(c, "nbf", now.Add(time.Minute).Unix())), wire.CodeInvalidToken},
		{"iat in the future", sign(h, with(c, "iat", now.Add(time.Minute).Unix())), wire.CodeInvalidToken},
		{"expired", expired, wire.CodeTokenExpired},
		{"expired and tampered: flipped signature", FlipSignatureByte(expired), wire.CodeInvalidToken},
		{"expired and tampered: changed payload", ChangePayload(expired, func(m map[string]any) { m["scope"] = "play host admin" }), wire.CodeInvalidToken},
		{"one flipped signature byte", FlipSignatureByte(good), wire.CodeInvalidToken},
		{"empty signature", good[:strings.LastIndexByte(good, '.')+1], wire.CodeInvalidToken},
		{"signature not base64", good[:strings.LastIndexByte(good, '.')+1] + "!!!!", wire.CodeInvalidToken},
		{"changed payload", ChangePayload(good, func(m map[string]any) { m["scope"] = "play host admin" }), wire.CodeInvalidToken},
		{"changed subject", ChangePayload(good, func(m map[string]any) { m["sub"] = "someoneelse" }), wire.CodeInvalidToken},
		{"missing exp", sign(h, with(c, "exp", nil)), wire.CodeInvalidToken},
		{"missing jti", sign(h, with(c, "jti", nil)), wire.CodeInvalidToken},
		{"missing sid", sign(h, with(c, "sid", nil)), wire.CodeInvalidToken},
		{"missing sub", sign(h, with(c, "sub", nil)), wire.CodeInvalidToken},
		{"missing nbf", sign(h, with(c, "nbf", nil)), wire.CodeInvalidToken},
		{"missing iat", sign(h, with(c, "iat", nil)), wire.CodeInvalidToken},
		{"missing name", sign(h, with(c, "name", nil)), wire.CodeInvalidToken},
		{"exp not a number", sign(h, with(c, "exp", "tomorrow")), wire.CodeInvalidToken},
		{"no typ", sign(with(h, "typ", nil), c), wire.CodeInvalidToken},
		{"plain JWT typ", sign(with(h, "typ", "JWT"), c), wire.CodeInvalidToken},
		{"a critical header", sign(with(h, "crit", []string{"exp"}, "exp", 1), c), wire.CodeInvalidToken},
		{"a refresh token used as access", refresh, wire.CodeInvalidToken},
		{"two segments", good[:strings.LastIndexByte(good, '.')], wire.CodeInvalidToken},
		{"four segments", good + ".x", wire.CodeInvalidToken},
		{"payload not base64", segment(h) + ".%%%." + "abc", wire.CodeInvalidToken},
		{"payload not JSON", segment(h) + "." + b64.EncodeToString([]byte("not json")) + ".abc", wire.CodeInvalidToken},
		{"just dots", "..", wire.CodeInvalidToken},
		{"over the size limit", good + strings.Repeat("A", auth.MaxTokenBytes), wire.CodeInvalidToken},
	}
}
