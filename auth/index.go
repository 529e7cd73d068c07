package auth

import (
	"sync"
	"time"
)

// Index answers "is this jti or sid revoked, is this account disabled" from memory, so that the
// hot path of a token check never touches disk. It is filled from the store at start and
// written only after the store commits. An entry is kept until the last token it guards has
// expired (plus Leeway), then Purge drops it: an ended session is held until its last access
// token expires (its refresh tokens are refused by the store), a revoked jti until its exp.
// Disabled accounts are held while they are disabled.
type Index struct {
	mu       sync.RWMutex
	sessions map[string]time.Time
	tokens   map[string]time.Time
	disabled map[string]bool
	gen      uint64 // counts changes to disabled, so EnableSince can tell a stale read
}

// NewIndex returns an index holding r.
func NewIndex(r Revoked) *Index {
	x := &Index{sessions: r.Sessions, tokens: r.Tokens, disabled: r.Disabled}
	if x.sessions == nil {
		x.sessions = map[string]time.Time{}
	}
	if x.tokens == nil {
		x.tokens = map[string]time.Time{}
	}
	if x.disabled == nil {
		x.disabled = map[string]bool{}
	}
	return x
}

// Check returns the refusal, if any, for a token of account sub with id jti in session sid:
// ErrAccountDisabled or ErrTokenRevoked. It takes one read lock for all three questions.
func (x *Index) Check(sub, jti, sid string) error {
	x.mu.RLock()
	disabled := x.disabled[sub]
	_, revoked := x.tokens[jti]
	_, ended := x.sessions[sid]
	x.mu.RUnlock()
	switch {
	case disabled:
		return ErrAccountDisabled
	case revoked, ended:
		return ErrTokenRevoked
	}
	return nil
}

// SessionEnded reports whether sid was ended.
func (x *Index) SessionEnded(sid string) bool {
	x.mu.RLock()
	_, ok := x.sessions[sid]
	x.mu.RUnlock()
	return ok
}

// TokenRevoked reports whether jti was revoked.
func (x *Index) TokenRevoked(jti string) bool {
	x.mu.RLock()
	_, ok := x.tokens[jti]
	x.mu.RUnlock()
	return ok
}

// Disabled reports whether the account is disabled.
func (x *Index) Disabled(accountID string) bool {
	x.mu.RLock()
	d := x.disabled[accountID]
	x.mu.RUnlock()
	return d
}

// EndSession records sid as ended; until is when its last access token expires.
func (x *Index) EndSession(sid string, until time.Time) {
	x.mu.Lock()
	if t, ok := x.sessions[sid]; !ok || until.After(t) {
		x.sessions[sid] = until
	}
	x.mu.Unlock()
}

// RevokeToken records jti as revoked until exp.
func (x *Index) RevokeToken(jti string, exp time.Time) {
	x.mu.Lock()
	x.tokens[jti] = exp
	x.mu.Unlock()
}

// SetDisabled records an account's standing.
func (x *Index) SetDisabled(accountID string, disabled bool) {
	x.mu.Lock()
	x.gen++
	if disabled {
		x.disabled[accountID] = true
	} else {
		delete(x.disabled, accountID)
	}
	x.mu.Unlock()
}

// Gen returns a number that changes whenever an account's standing is set; take it before
// reading the store for EnableSince.
func (x *Index) Gen() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.gen
}

// EnableSince enables an account that the store, read after Gen returned gen, shows enabled;
// if a standing changed since gen the read may be stale, and it does nothing.
func (x *Index) EnableSince(accountID string, gen uint64) {
	x.mu.Lock()
	if x.gen == gen && x.disabled[accountID] {
		delete(x.disabled, accountID)
		x.gen++
	}
	x.mu.Unlock()
}

// Purge drops entries whose tokens have all expired by now (with Leeway).
func (x *Index) Purge(now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for k, t := range x.sessions {
		if now.After(t.Add(Leeway)) {
			delete(x.sessions, k)
		}
	}
	for k, t := range x.tokens {
		if now.After(t.Add(Leeway)) {
			delete(x.tokens, k)
		}
	}
}

// IndexSize counts an Index's entries.
type IndexSize struct {
	Sessions, Tokens, Disabled int
}

// Size counts the entries held.
func (x *Index) Size() IndexSize {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return IndexSize{Sessions: len(x.sessions), Tokens: len(x.tokens), Disabled: len(x.disabled)}
}
