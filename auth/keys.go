package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Key is one Ed25519 signing key, named by its kid.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// KeySet holds the keys in a folder: the newest signs, every one verifies. Key IDs start with
// the UTC time of their creation, so the newest is the greatest.
type KeySet struct {
	dir string

	mu     sync.RWMutex
	keys   map[string]*Key
	newest *Key
}

// OpenKeySet loads the keys in dir, creating the folder and a first key when there is none.
func OpenKeySet(dir string) (*KeySet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("key folder: %w", err)
	}
	ks := &KeySet{dir: dir}
	if err := ks.Reload(); err != nil {
		return nil, err
	}
	if ks.newest == nil {
		if _, err := ks.Rotate(time.Now()); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// Reload reads the folder again, picking up keys another process added.
func (ks *KeySet) Reload() error {
	entries, err := os.ReadDir(ks.dir)
	if err != nil {
		return fmt.Errorf("key folder: %w", err)
	}
	keys := map[string]*Key{}
	var newest *Key
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".pem") {
			continue
		}
		k, err := readKey(filepath.Join(ks.dir, name))
		if err != nil {
			return err
		}
		keys[k.ID] = k
		if newest == nil || k.ID > newest.ID {
			newest = k
		}
	}
	ks.mu.Lock()
	ks.keys, ks.newest = keys, newest
	ks.mu.Unlock()
	return nil
}

func readKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("key %s: not a PKCS#8 PEM private key", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key %s: not an Ed25519 key", path)
	}
	id := strings.TrimSuffix(filepath.Base(path), ".pem")
	return &Key{ID: id, Private: priv, Public: priv.Public().(ed25519.PublicKey)}, nil
}

// Rotate creates a new signing key in the folder and makes it the one that signs. Older keys
// stay and keep verifying until a host deletes their files.
func (ks *KeySet) Rotate(now time.Time) (*Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub)
	id := now.UTC().Format("20060102T150405Z") + "-" + base64.RawURLEncoding.EncodeToString(sum[:6])
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(ks.dir, id+".pem")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	k := &Key{ID: id, Private: priv, Public: pub}
	ks.mu.Lock()
	if ks.keys == nil {
		ks.keys = map[string]*Key{}
	}
	ks.keys[id] = k
	if ks.newest == nil || id > ks.newest.ID {
		ks.newest = k
	}
	ks.mu.Unlock()
	return k, nil
}

// Signing returns the key that signs new tokens.
func (ks *KeySet) Signing() *Key {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.newest
}

// Lookup returns the key named kid.
func (ks *KeySet) Lookup(kid string) (*Key, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok := ks.keys[kid]
	return k, ok
}

// ErrNoKey reports a kid the set does not hold.
var ErrNoKey = errors.New("auth: unknown key id")

// JWKS returns the public keys as a JSON Web Key Set (RFC 8037 OKP keys).
func (ks *KeySet) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		Use string `json:"use"`
	}
	ks.mu.RLock()
	out := make([]jwk, 0, len(ks.keys))
	for _, k := range ks.keys {
		out = append(out, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public), Kid: k.ID, Alg: "EdDSA", Use: "sig"})
	}
	ks.mu.RUnlock()
	slices.SortFunc(out, func(a, b jwk) int { return strings.Compare(b.Kid, a.Kid) })
	b, _ := json.Marshal(map[string]any{"keys": out})
	return b
}
