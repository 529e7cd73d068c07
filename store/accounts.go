package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tickwire/tickwire/auth"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ auth.Sessions = (*DB)(nil)

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// CreateAccount inserts a; a taken username (in any letter case) is auth.ErrUsernameTaken.
func (db *DB) CreateAccount(ctx context.Context, a auth.Account, passwordHash string) error {
	_, err := db.stmts["insertAccount"].ExecContext(ctx, a.ID, a.Username, passwordHash,
		strings.Join(a.Scopes, " "), a.Guest, a.CreatedAt.Unix())
	if isUniqueViolation(err) {
		return auth.ErrUsernameTaken
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

func scanAccount(row *sql.Row) (auth.Account, string, error) {
	var a auth.Account
	var hash, scopes string
	var created int64
	err := row.Scan(&a.ID, &a.Username, &hash, &scopes, &a.Guest, &a.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, "", auth.ErrNotFound
	}
	if err != nil {
		return a, "", fmt.Errorf("read account: %w", err)
	}
	a.Scopes = strings.Fields(scopes)
	a.CreatedAt = time.Unix(created, 0)
	return a, hash, nil
}

// AccountByName returns the account named username (any letter case) and its password hash.
func (db *DB) AccountByName(ctx context.Context, username string) (auth.Account, string, error) {
	return scanAccount(db.rstmts["accountByName"].QueryRowContext(ctx, username))
}

// AccountByID returns the account with id.
func (db *DB) AccountByID(ctx context.Context, id string) (auth.Account, error) {
	a, _, err := scanAccount(db.rstmts["accountByID"].QueryRowContext(ctx, id))
	return a, err
}

// ListAccounts returns up to limit registered (non-guest) accounts by name.
func (db *DB) ListAccounts(ctx context.Context, limit int) ([]auth.Account, error) {
	rows, err := db.rstmts["listAccounts"].QueryContext(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []auth.Account
	for rows.Next() {
		var a auth.Account
		var hash, scopes string
		var created int64
		if err := rows.Scan(&a.ID, &a.Username, &hash, &scopes, &a.Guest, &a.Disabled, &created); err != nil {
			return nil, err
		}
		a.Scopes = strings.Fields(scopes)
		a.CreatedAt = time.Unix(created, 0)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetPasswordHash replaces an account's password hash.
func (db *DB) SetPasswordHash(ctx context.Context, accountID, hash string) error {
	res, err := db.stmts["setPassword"].ExecContext(ctx, hash, accountID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// SetScopes replaces an account's scopes. Tokens already issued keep theirs; the next
// refresh or login carries the new ones.
func (db *DB) SetScopes(ctx context.Context, accountID string, scopes []string) error {
	res, err := db.stmts["setScopes"].ExecContext(ctx, strings.Join(scopes, " "), accountID)
	if err != nil {
		return fmt.Errorf("set scopes: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// SetDisabled sets an account's standing; disabling it ends its sessions in the same
// transaction and returns them, each with when it stays revoked until: its latest access
// token's expiry, or until for a session that recorded none.
func (db *DB) SetDisabled(ctx context.Context, accountID string, disabled bool, now, until time.Time) (map[string]time.Time, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("set disabled: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, db.stmts["setDisabled"]).ExecContext(ctx, disabled, accountID)
	if err != nil {
		return nil, fmt.Errorf("set disabled: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, auth.ErrNotFound
	}
	ended := map[string]time.Time{}
	if disabled {
		rows, err := tx.StmtContext(ctx, db.stmts["endAllSessions"]).QueryContext(ctx, now.Unix(), until.Unix(), accountID)
		if err != nil {
			return nil, fmt.Errorf("end sessions: %w", err)
		}
		for rows.Next() {
			var id string
			var revokedUntil int64
			if err := rows.Scan(&id, &revokedUntil); err != nil {
				rows.Close()
				return nil, err
			}
			ended[id] = time.Unix(revokedUntil, 0)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("set disabled: %w", err)
	}
	return ended, nil
}

// unixOrNull is t in unix seconds, or NULL for the zero time.
func unixOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// CreateSession inserts s.
func (db *DB) CreateSession(ctx context.Context, s auth.Session) error {
	_, err := db.stmts["insertSession"].ExecContext(ctx, s.ID, s.AccountID, s.RefreshJTI, s.CreatedAt.Unix(), s.ExpiresAt.Unix(), unixOrNull(s.AccessExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// RotateRefresh swaps the session's expected refresh jti from old to next, atomically, and
// records accessExpires, the exp of the access token issued with next, when it is the latest.
func (db *DB) RotateRefresh(ctx context.Context, sid, old, next string, expires, accessExpires time.Time) (bool, error) {
	res, err := db.stmts["rotateRefresh"].ExecContext(ctx, next, expires.Unix(), sid, old, unixOrNull(accessExpires))
	if err != nil {
		return false, fmt.Errorf("rotate refresh: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EndSession marks sid ended and returns when it stays revoked until: the latest exp of the
// access tokens issued under it, or until when it recorded none. It reports false for a
// session already ended or unknown.
func (db *DB) EndSession(ctx context.Context, sid, reason string, now, until time.Time) (time.Time, bool, error) {
	var revokedUntil int64
	err := db.stmts["endSession"].QueryRowContext(ctx, now.Unix(), reason, until.Unix(), sid).Scan(&revokedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return until, false, nil
	}
	if err != nil {
		return until, false, fmt.Errorf("end session: %w", err)
	}
	return time.Unix(revokedUntil, 0), true, nil
}

// RevokeToken records jti as revoked until exp.
func (db *DB) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	if _, err := db.stmts["revokeToken"].ExecContext(ctx, jti, exp.Unix()); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// LiveSessions returns the ids of an account's sessions that have not ended or expired.
func (db *DB) LiveSessions(ctx context.Context, accountID string, now time.Time) ([]string, error) {
	rows, err := db.rstmts["sessionsOf"].QueryContext(ctx, accountID, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SessionCount returns how many session rows are stored, live, ended or expired; -1 when the
// database does not answer.
func (db *DB) SessionCount(ctx context.Context) int {
	var n int
	if err := db.rstmts["sessionCount"].QueryRowContext(ctx).Scan(&n); err != nil {
		return -1
	}
	return n
}

// LoadRevoked reads what the revocation index needs at start: ended sessions and revoked
// tokens still in force after cutoff, and disabled accounts.
func (db *DB) LoadRevoked(ctx context.Context, cutoff time.Time) (auth.Revoked, error) {
	r := auth.Revoked{Sessions: map[string]time.Time{}, Tokens: map[string]time.Time{}, Disabled: map[string]bool{}}
	load := func(name string, into map[string]time.Time) error {
		rows, err := db.rstmts[name].QueryContext(ctx, cutoff.Unix())
		if err != nil {
			return fmt.Errorf("load %s: %w", name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var exp int64
			if err := rows.Scan(&id, &exp); err != nil {
				return err
			}
			into[id] = time.Unix(exp, 0)
		}
		return rows.Err()
	}
	if err := load("endedSessions", r.Sessions); err != nil {
		return r, err
	}
	if err := load("revokedTokens", r.Tokens); err != nil {
		return r, err
	}
	rows, err := db.rstmts["disabled"].QueryContext(ctx)
	if err != nil {
		return r, fmt.Errorf("load disabled: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return r, err
		}
		r.Disabled[id] = true
	}
	return r, rows.Err()
}

// PurgeExpired deletes revoked tokens that expired before cutoff, and sessions whose refresh
// tokens expired and whose revocation ended before cutoff.
func (db *DB) PurgeExpired(ctx context.Context, cutoff time.Time) error {
	if _, err := db.stmts["purgeTokens"].ExecContext(ctx, cutoff.Unix()); err != nil {
		return fmt.Errorf("purge tokens: %w", err)
	}
	if _, err := db.stmts["purgeSessions"].ExecContext(ctx, cutoff.Unix()); err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	return nil
}
