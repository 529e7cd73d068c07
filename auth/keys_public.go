package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// NewPublicKeySet returns a set that holds no private key: it verifies with the public keys
// SetJWKS gives it and signs nothing. A game node of a cluster verifies tokens with one,
// while the signing keys stay on the database node.
func NewPublicKeySet() *KeySet { return &KeySet{keys: map[string]*Key{}} }

// SetJWKS replaces a public set's keys with those of jwks, a JSON Web Key Set as JWKS writes
// it. On an error the set keeps what it had.
func (ks *KeySet) SetJWKS(jwks []byte) error {
	var set struct {
		Keys []struct {
			Kty, Crv, X, Kid string
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return fmt.Errorf("key set: %w", err)
	}
	keys := map[string]*Key{}
	for _, k := range set.Keys {
		pub, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || k.Kty != "OKP" || k.Crv != "Ed25519" || len(pub) != ed25519.PublicKeySize || k.Kid == "" {
			return fmt.Errorf("key set: key %q is not an Ed25519 public key", k.Kid)
		}
		keys[k.Kid] = &Key{ID: k.Kid, Public: ed25519.PublicKey(pub)}
	}
	if len(keys) == 0 {
		return errors.New("key set: no keys")
	}
	ks.mu.Lock()
	ks.keys = keys
	ks.mu.Unlock()
	return nil
}
