package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/wire"
)

// Account is a player's identity.
type Account struct {
	ID        string
	Username  string
	Scopes    []string
	Guest     bool
	Disabled  bool
	CreatedAt time.Time
}

// Scope returns the account's scopes as a token's space-separated scope claim.
func (a Account) Scope() string { return strings.Join(a.Scopes, " ") }

// Session is one sign-in: a chain of refresh tokens under one sid.
type Session struct {
	ID         string
	AccountID  string
	RefreshJTI string // the jti of the one refresh token that may be used next
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// AccessExpiresAt is the latest exp of the access tokens issued under the session: once
	// ended, it stays revoked until then.
	AccessExpiresAt time.Time
}

// Revoked is what the revocation index holds at start.
type Revoked struct {
	Sessions map[string]time.Time // sid to when its tokens stop mattering
	Tokens   map[string]time.Time // jti to its exp
	Disabled map[string]bool      // account ids
}

// Sessions is the storage auth needs. Every method that changes state commits before it
// returns; auth acknowledges nothing that is not committed.
type Sessions interface {
	CreateAccount(ctx context.Context, a Account, passwordHash string) error
	AccountByName(ctx context.Context, username string) (Account, string, error) // ErrNotFound
	AccountByID(ctx context.Context, id string) (Account, error)                 // ErrNotFound
	// SetPasswordHash replaces an account's password hash (a rehash at higher cost).
	SetPasswordHash(ctx context.Context, accountID, hash string) error
	// SetDisabled sets an account's standing. Disabling it ends its live sessions in the same
	// transaction and returns each with when it stays revoked until: its AccessExpiresAt, or
	// until for a session that recorded none.
	SetDisabled(ctx context.Context, accountID string, disabled bool, now, until time.Time) (endedSessions map[string]time.Time, err error)
	CreateSession(ctx context.Context, s Session) error
	// RotateRefresh replaces the session's expected refresh jti old with next, expiring at
	// expires, and raises its AccessExpiresAt to accessExpires. It reports false, changing
	// nothing, when the session is ended or expects another jti.
	RotateRefresh(ctx context.Context, sid, old, next string, expires, accessExpires time.Time) (bool, error)
	// EndSession marks a session ended and returns when it stays revoked until: its
	// AccessExpiresAt, the exp of the last access token issued under it, or until when it
	// recorded none. It reports whether it ended it: false for a session already ended or
	// unknown.
	EndSession(ctx context.Context, sid, reason string, now, until time.Time) (revokedUntil time.Time, ended bool, err error)
	RevokeToken(ctx context.Context, jti string, exp time.Time) error
	// LoadRevoked returns the revocations still in force after cutoff.
	LoadRevoked(ctx context.Context, cutoff time.Time) (Revoked, error)
	// PurgeExpired deletes revocations and sessions that no longer matter after cutoff.
	PurgeExpired(ctx context.Context, cutoff time.Time) error
}

// Ended tells the socket layer that a session, or every session of an account, ended.
type Ended struct {
	SessionID string // empty when the whole account was disabled
	AccountID string
	Reason    string // "logout", "ban", "refresh_reuse", "revoked"
}

// Pair is what a successful sign-in or refresh returns.
type Pair struct {
	Access  Signed
	Refresh Signed
	Account Account
}

// Service runs the token lifecycle over a Sessions store. Set its fields, call Load, then use
// it from any number of goroutines.
type Service struct {
	Store  Sessions
	Tokens *Tokens
	Hasher *Hasher
	// Index is the in-memory revocation index; Load fills it from Store.
	Index *Index
	// OnEnded, when set, is called after a session end or a ban is committed. It must not block.
	OnEnded func(Ended)
	Now     func() time.Time
	// SessionMaxAge, when above zero, is how long a session may last after its login however
	// often it is refreshed: no token issued under it expires later.
	SessionMaxAge time.Duration
	// RefreshGrace, when above zero, is how long after a refresh its client may present the
	// same refresh token again, from the same address, and be answered the same pair once
	// more (RefreshFrom); RefreshGraceMax bounds the rotations remembered for it.
	RefreshGrace    time.Duration
	RefreshGraceMax int

	graceOnce sync.Once
	grace     refreshGrace
	// GuestScopes are the scopes Guest gives a new account; nil means play and host.
	GuestScopes []string
}

// Load builds the revocation index from the store: what was revoked and may still be presented.
func (s *Service) Load(ctx context.Context) error {
	r, err := s.Store.LoadRevoked(ctx, s.Now().Add(-Leeway))
	if err != nil {
		return fmt.Errorf("load revocations: %w", err)
	}
	s.Index = NewIndex(r)
	return nil
}

// Sweep drops what no longer matters: revocations whose tokens have all expired, from the
// index and the store, and sessions past their refresh expiry. Servers call it periodically.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.Now()
	s.Index.Purge(now)
	return s.Store.PurgeExpired(ctx, now.Add(-Leeway))
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{3,32}$`)

// ValidUsername reports whether name is 3 to 32 of A-Z a-z 0-9 _ -.
func ValidUsername(name string) bool { return usernameRE.MatchString(name) }

func checkCredentials(username, password string) error {
	if !ValidUsername(username) {
		return errorf(wire.CodeInvalidRequest, "username must be 3 to 32 letters, digits, _ or -")
	}
	if n := utf8.RuneCountInString(password); n < 8 || n > 128 || len(password) > 512 {
		return errorf(wire.CodeInvalidRequest, "password must be 8 to 128 characters")
	}
	return nil
}

// Register creates an account with scopes play and host (and admin when admin is set).
func (s *Service) Register(ctx context.Context, username, password string, admin bool) (Account, error) {
	if err := checkCredentials(username, password); err != nil {
		return Account{}, err
	}
	hash, err := s.Hasher.HashSignup(ctx, password)
	if err != nil {
		return Account{}, err
	}
	a := Account{ID: newAccountID(), Username: username, Scopes: []string{ScopePlay, ScopeHost}, CreatedAt: s.Now()}
	if admin {
		a.Scopes = append(a.Scopes, ScopeAdmin)
	}
	if err := s.Store.CreateAccount(ctx, a, hash); err != nil {
		return Account{}, err
	}
	return a, nil
}

// Guest creates a password-less account named after name (or "guest") and signs it in.
func (s *Service) Guest(ctx context.Context, name string) (Pair, error) {
	base := name
	if base == "" {
		base = "guest"
	}
	if len(base) > 24 || !ValidUsername(base+"-xxxxx") {
		return Pair{}, errorf(wire.CodeInvalidRequest, "name must be up to 24 letters, digits, _ or -")
	}
	scopes := s.GuestScopes
	if scopes == nil {
		scopes = []string{ScopePlay, ScopeHost}
	}
	var a Account
	for range 4 {
		a = Account{ID: newAccountID(), Username: base + "-" + strings.ToLower(rand.Text()[:5]), Scopes: slices.Clone(scopes), Guest: true, CreatedAt: s.Now()}
		err := s.Store.CreateAccount(ctx, a, "")
		if err == nil {
			return s.startSession(ctx, a)
		}
		if !errors.Is(err, ErrUsernameTaken) {
			return Pair{}, err
		}
	}
	return Pair{}, errorf(wire.CodeInternal, "could not find a free guest name")
}

// Login checks a password and starts a session. Unknown usernames and wrong passwords cost the
// same and fail the same. A right password whose hash was made at another cost is rehashed.
func (s *Service) Login(ctx context.Context, username, password string) (Pair, error) {
	if username == "" || password == "" {
		return Pair{}, errorf(wire.CodeInvalidRequest, "username and password are required")
	}
	if len(username) > 64 || len(password) > 512 {
		return Pair{}, ErrInvalidCredentials
	}
	gen := s.Index.Gen()
	a, hash, err := s.Store.AccountByName(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Pair{}, err
	}
	ok, verr := s.Hasher.Verify(ctx, hash, password)
	if verr != nil {
		return Pair{}, verr
	}
	if err != nil || !ok {
		return Pair{}, ErrInvalidCredentials
	}
	// The store is the authority on an account's standing. Another process (tickwire user
	// unban) may have unbanned it since the index last heard: catch up now, so that the tokens
	// issued next are accepted.
	if !a.Disabled {
		s.Index.EnableSince(a.ID, gen)
	}
	if a.Disabled {
		return Pair{}, ErrAccountDisabled
	}
	if s.Hasher.NeedsRehash(hash) {
		// Best effort: a busy hasher or a failed write leaves the old hash, which still works.
		if fresh, err := s.Hasher.Hash(ctx, password); err == nil {
			_ = s.Store.SetPasswordHash(ctx, a.ID, fresh)
		}
	}
	return s.startSession(ctx, a)
}

// SignInAs starts a session for the account with id, which another means than a password
// (an OpenID Connect identity of provider idp) has proven: ErrAccountDisabled for a banned
// account. Its tokens carry idp.
func (s *Service) SignInAs(ctx context.Context, accountID, idp string) (Pair, error) {
	gen := s.Index.Gen()
	a, err := s.Store.AccountByID(ctx, accountID)
	if err != nil {
		return Pair{}, err
	}
	if a.Disabled {
		return Pair{}, ErrAccountDisabled
	}
	s.Index.EnableSince(a.ID, gen)
	return s.startSessionIDP(ctx, a, idp)
}

func (s *Service) startSession(ctx context.Context, a Account) (Pair, error) {
	return s.startSessionIDP(ctx, a, "")
}

func (s *Service) startSessionIDP(ctx context.Context, a Account, idp string) (Pair, error) {
	now := s.Now()
	sid := NewID()
	sub := Subject{AccountID: a.ID, Username: a.Username, SessionID: sid, Scope: a.Scope(), IDP: idp, AuthTime: now.Truncate(time.Second)}
	sub.NotAfter = s.sessionEnd(sub.AuthTime)
	p, err := s.pair(sub, a)
	if err != nil {
		return Pair{}, err
	}
	sess := Session{ID: sid, AccountID: a.ID, RefreshJTI: p.Refresh.Claims.ID, CreatedAt: now, ExpiresAt: p.Refresh.Claims.ExpiresAt.Time,
		AccessExpiresAt: p.Access.Claims.ExpiresAt.Time}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return Pair{}, err
	}
	return p, nil
}

func (s *Service) pair(sub Subject, a Account) (Pair, error) {
	access, err := s.Tokens.IssueAccess(sub)
	if err != nil {
		return Pair{}, err
	}
	refresh, err := s.Tokens.IssueRefresh(sub)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Access: access, Refresh: refresh, Account: a}, nil
}

// Refresh trades a refresh token for a new pair under the same sid. A refresh token works once:
// presenting one that was already used ends the whole session, since either its owner or a
// thief holds a copy (RFC 9700 §4.14.2).
func (s *Service) Refresh(ctx context.Context, raw string) (Pair, error) {
	c, err := s.Tokens.ParseRefresh(raw)
	if err != nil {
		return Pair{}, err
	}
	return s.refresh(ctx, c)
}

func (s *Service) refresh(ctx context.Context, c *Claims) (Pair, error) {
	// A banned account hears so, rather than of the sessions the ban ended.
	switch {
	case s.Index.Disabled(c.Subject):
		return Pair{}, ErrAccountDisabled
	case s.Index.SessionEnded(c.SID):
		return Pair{}, ErrSessionEnded
	}
	a, err := s.Store.AccountByID(ctx, c.Subject)
	if errors.Is(err, ErrNotFound) {
		return Pair{}, errorf(wire.CodeInvalidToken, "no such account")
	}
	if err != nil {
		return Pair{}, err
	}
	if a.Disabled || s.Index.Disabled(a.ID) {
		return Pair{}, ErrAccountDisabled
	}
	// A refresh token from before auth_time was carried counts its session from its own issue.
	authTime := c.IssuedAt.Time
	if c.AuthTime != nil {
		authTime = c.AuthTime.Time
	}
	end := s.sessionEnd(authTime)
	if !end.IsZero() && !s.Now().Before(end) {
		return Pair{}, ErrSessionTooOld
	}
	sub := Subject{AccountID: a.ID, Username: a.Username, SessionID: c.SID, Scope: a.Scope(), IDP: c.IDP, AuthTime: authTime, NotAfter: end}
	p, err := s.pair(sub, a)
	if err != nil {
		return Pair{}, err
	}
	ok, err := s.Store.RotateRefresh(ctx, c.SID, c.ID, p.Refresh.Claims.ID, p.Refresh.Claims.ExpiresAt.Time, p.Access.Claims.ExpiresAt.Time)
	if err != nil {
		return Pair{}, err
	}
	if !ok {
		ended, err := s.endSession(ctx, c.SID, a.ID, "refresh_reuse")
		if err != nil {
			return Pair{}, err
		}
		if !ended {
			return Pair{}, ErrSessionEnded
		}
		return Pair{}, ErrRefreshReused
	}
	return p, nil
}

// sessionEnd is when a session whose login was at authTime ends by age: zero without a
// maximum age.
func (s *Service) sessionEnd(authTime time.Time) time.Time {
	if s.SessionMaxAge <= 0 {
		return time.Time{}
	}
	return authTime.Add(s.SessionMaxAge)
}

// Logout ends the session of the access token c, everywhere.
func (s *Service) Logout(ctx context.Context, c *Claims) error {
	if err := s.Store.RevokeToken(ctx, c.ID, c.ExpiresAt.Time); err != nil {
		return err
	}
	s.Index.RevokeToken(c.ID, c.ExpiresAt.Time)
	_, err := s.endSession(ctx, c.SID, c.Subject, "logout")
	return err
}

// EndSession ends sid after committing it, and tells OnEnded. Ending a session already ended
// is no error.
func (s *Service) EndSession(ctx context.Context, sid, accountID, reason string) error {
	_, err := s.endSession(ctx, sid, accountID, reason)
	return err
}

// revokedUntil is how long an ended session that recorded no access token expiry stays in the
// index: until an access token issued now would expire. A session that recorded one (every
// session started since it was recorded) stays until its last access token expires, which
// no later change of the lifetime moves. Its refresh tokens need no entry, since the store
// refuses them from then on.
func (s *Service) revokedUntil(now time.Time) time.Time { return now.Add(s.Tokens.AccessTTL) }

func (s *Service) endSession(ctx context.Context, sid, accountID, reason string) (bool, error) {
	now := s.Now()
	until, ended, err := s.Store.EndSession(ctx, sid, reason, now, s.revokedUntil(now))
	if err != nil {
		return false, err
	}
	s.Index.EndSession(sid, until)
	if ended && s.OnEnded != nil {
		s.OnEnded(Ended{SessionID: sid, AccountID: accountID, Reason: reason})
	}
	return ended, nil
}

// SetBanned bans (or unbans) the account named username: a ban ends every session it has and
// refuses its logins and tokens. An unban lets the account sign in again; the sessions the
// ban ended stay ended.
func (s *Service) SetBanned(ctx context.Context, username string, banned bool) (Account, error) {
	a, _, err := s.Store.AccountByName(ctx, username)
	if err != nil {
		return Account{}, err
	}
	now := s.Now()
	until := s.revokedUntil(now)
	ended, err := s.Store.SetDisabled(ctx, a.ID, banned, now, until)
	if err != nil {
		return Account{}, err
	}
	s.Index.SetDisabled(a.ID, banned)
	for sid, until := range ended {
		s.Index.EndSession(sid, until)
	}
	if banned && s.OnEnded != nil {
		s.OnEnded(Ended{AccountID: a.ID, Reason: "ban"})
	}
	a.Disabled = banned
	return a, nil
}

// VerifyAccess checks an access token fully: signature and claims, then revocation of its jti
// and sid and the account's standing, all from memory.
func (s *Service) VerifyAccess(raw string) (*Claims, error) {
	c, err := s.Tokens.ParseAccess(raw)
	if err != nil {
		return nil, err
	}
	if err := s.CheckLive(c); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckLive reports whether c's token, session and account still stand: nil,
// ErrAccountDisabled or ErrTokenRevoked.
func (s *Service) CheckLive(c *Claims) error {
	return s.Index.Check(c.Subject, c.ID, c.SID)
}

// Me returns the account a token names.
func (s *Service) Me(ctx context.Context, c *Claims) (Account, error) {
	return s.Store.AccountByID(ctx, c.Subject)
}

// NewAccountID returns a fresh random account id.
func NewAccountID() string { return newAccountID() }

func newAccountID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}
