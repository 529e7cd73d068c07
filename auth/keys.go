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
//
// Another process (tickwire keys rotate) may add keys to the folder while a server runs: a token
// naming an unknown kid makes the set read the folder again, at most once per ReloadEvery, so
// that a flood of made-up kids costs one directory read per interval and no more.
type KeySet struct {
	// ReloadEvery is the shortest time between two reloads caused by unknown kids; zero means
	// DefaultReloadEvery. Set it before use.
	ReloadEvery time.Duration
	// Now is the clock for ReloadEvery; nil means time.Now. Set it before use.
	Now func() time.Time

	dir string

	mu     sync.RWMutex
	keys   map[string]*Key
	newest *Key

	reloadMu   sync.Mutex
	lastReload time.Time
}

// kidTime is the layout of the time a key id starts with.
const kidTime = "20060102T150405.000000Z"

// DefaultReloadEvery is KeySet.ReloadEvery's default.
const DefaultReloadEvery = 5 * time.Second

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

// Dir returns the folder the keys live in.
func (ks *KeySet) Dir() string { return ks.dir }

// Reload reads the folder again, picking up keys another process added and dropping keys whose
// files were deleted. On an error (an unreadable or foreign file) the set keeps what it had.
// Files whose names start with a dot are temporary files of a rotation in progress.
func (ks *KeySet) Reload() error {
	entries, err := os.ReadDir(ks.dir)
	if err != nil {
		return fmt.Errorf("key folder: %w", err)
	}
	keys := map[string]*Key{}
	var newest *Key
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".pem") || strings.HasPrefix(name, ".") {
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
	if newest == nil && ks.newest != nil {
		return fmt.Errorf("key folder %s: no keys left; keeping the ones loaded", ks.dir)
	}
	ks.mu.Lock()
	ks.keys, ks.newest = keys, newest
	ks.mu.Unlock()
	return nil
}

func (ks *KeySet) now() time.Time {
	if ks.Now != nil {
		return ks.Now()
	}
	return time.Now()
}

// reloadIfDue reloads the folder unless it was reloaded within ReloadEvery, or another caller
// is reloading it now; it reports whether it did.
func (ks *KeySet) reloadIfDue() bool {
	if !ks.reloadMu.TryLock() {
		return false
	}
	defer ks.reloadMu.Unlock()
	every := ks.ReloadEvery
	if every <= 0 {
		every = DefaultReloadEvery
	}
	now := ks.now()
	if !ks.lastReload.IsZero() && now.Sub(ks.lastReload) < every {
		return false
	}
	ks.lastReload = now
	return ks.Reload() == nil
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
	// Microseconds, so that two rotations in one second still sort in the order they happened;
	// and never at or before the newest key's time, so that a clock set back cannot make a new
	// key sort below the one it replaces.
	if cur := ks.Signing(); cur != nil {
		if t, err := time.Parse(kidTime, strings.SplitN(cur.ID, "-", 2)[0]); err == nil && !now.After(t) {
			now = t.Add(time.Microsecond)
		}
	}
	id := now.UTC().Format(kidTime) + "-" + base64.RawURLEncoding.EncodeToString(sum[:6])
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	// Written under a dot-name and renamed, so that a server reloading the folder meanwhile
	// never reads half a key.
	path := filepath.Join(ks.dir, id+".pem")
	tmp := filepath.Join(ks.dir, "."+id+".pem.tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("write key: %w", err)
	}
	if d, err := os.Open(ks.dir); err == nil {
		_ = d.Sync() // make the rename durable; best effort where the platform refuses
		d.Close()
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

// Lookup returns the key named kid. An unknown kid makes the set reload its folder (at most
// once per ReloadEvery) and look again, so a key rotated in by another process verifies.
func (ks *KeySet) Lookup(kid string) (*Key, bool) {
	if k, ok := ks.lookup(kid); ok {
		return k, true
	}
	// A kid that could not name a file of ours does not deserve a directory read.
	if kid == "" || len(kid) > 64 || strings.ContainsAny(kid, "/\\") || !ks.reloadIfDue() {
		return nil, false
	}
	return ks.lookup(kid)
}

func (ks *KeySet) lookup(kid string) (*Key, bool) {
	ks.mu.RLock()
	k, ok := ks.keys[kid]
	ks.mu.RUnlock()
	return k, ok
}

// IDs returns the ids of the keys held, oldest first.
func (ks *KeySet) IDs() []string {
	ks.mu.RLock()
	ids := make([]string, 0, len(ks.keys))
	for id := range ks.keys {
		ids = append(ids, id)
	}
	ks.mu.RUnlock()
	slices.Sort(ids)
	return ids
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
