package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/server/wire"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ oidc.Store = (*DB)(nil)

// SaveState stores st unless max unexpired states are pending; expired ones are dropped first,
// in the same transaction, so the bound counts only what can still be used.
func (db *DB) SaveState(ctx context.Context, st oidc.State, now time.Time, max int) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save oidc state: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_states WHERE expires_at <= ?`, now.Unix()); err != nil {
		return fmt.Errorf("save oidc state: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM oidc_states`).Scan(&n); err != nil {
		return fmt.Errorf("save oidc state: %w", err)
	}
	if n >= max {
		return oidc.ErrTooManyPending
	}
	var account any
	if st.AccountID != "" {
		account = st.AccountID
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO oidc_states (state_hash, provider, verifier, nonce, intent, account_id, return_to, binding_hash, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.Hash, st.Provider, st.Verifier, st.Nonce, st.Intent, account, st.ReturnTo, st.Binding, st.ExpiresAt.Unix()); err != nil {
		return fmt.Errorf("save oidc state: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save oidc state: %w", err)
	}
	return nil
}

// TakeState deletes and returns the unexpired state with hash: one statement, so two
// callbacks with the same state cannot both have it.
func (db *DB) TakeState(ctx context.Context, hash string, now time.Time) (oidc.State, error) {
	var st oidc.State
	var account sql.NullString
	var exp int64
	err := db.write.QueryRowContext(ctx,
		`DELETE FROM oidc_states WHERE state_hash = ? RETURNING provider, verifier, nonce, intent, account_id, return_to, binding_hash, expires_at`,
		hash).Scan(&st.Provider, &st.Verifier, &st.Nonce, &st.Intent, &account, &st.ReturnTo, &st.Binding, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return oidc.State{}, auth.ErrNotFound
	}
	if err != nil {
		return oidc.State{}, fmt.Errorf("take oidc state: %w", err)
	}
	st.Hash, st.AccountID, st.ExpiresAt = hash, account.String, time.Unix(exp, 0)
	if !st.ExpiresAt.After(now) {
		return oidc.State{}, auth.ErrNotFound
	}
	return st, nil
}

// IdentityAccount returns the account holding (issuer, subject).
func (db *DB) IdentityAccount(ctx context.Context, issuer, subject string) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT account_id FROM identities WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", auth.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("find identity: %w", err)
	}
	return id, nil
}

// CreateIdentityAccount inserts a password-less account and its identity in one transaction.
func (db *DB) CreateIdentityAccount(ctx context.Context, a auth.Account, id oidc.Identity) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.StmtContext(ctx, db.stmts["insertAccount"]).ExecContext(ctx, a.ID, a.Username, "",
		strings.Join(a.Scopes, " "), a.Guest, a.CreatedAt.Unix())
	if isUniqueViolation(err) {
		return auth.ErrUsernameTaken
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	id.AccountID = a.ID
	if err := insertIdentity(ctx, tx, id); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

// isConstraint reports a UNIQUE or PRIMARY KEY violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func insertIdentity(ctx context.Context, tx *sql.Tx, id oidc.Identity) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO identities (issuer, subject, provider, account_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		id.Issuer, id.Subject, id.Provider, id.AccountID, id.CreatedAt.Unix())
	if isConstraint(err) {
		return oidc.ErrIdentityTaken
	}
	if err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	return nil
}

// LinkIdentity adds id to its account; the same identity on the same account again is no error.
// A guest that links an identity has a way back in and stops being a guest: idle-guest
// retention no longer deletes it.
func (db *DB) LinkIdentity(ctx context.Context, id oidc.Identity) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	defer tx.Rollback()
	var owner string
	err = tx.QueryRowContext(ctx, `SELECT account_id FROM identities WHERE issuer = ? AND subject = ?`, id.Issuer, id.Subject).Scan(&owner)
	switch {
	case err == nil && owner == id.AccountID:
		return nil
	case err == nil:
		return oidc.ErrIdentityTaken
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("link identity: %w", err)
	}
	if err := insertIdentity(ctx, tx, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET guest = 0 WHERE id = ?`, id.AccountID); err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	return nil
}

// UnlinkIdentity removes the account's identity at provider, unless it is the account's last
// way to sign in.
func (db *DB) UnlinkIdentity(ctx context.Context, accountID, provider string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("unlink identity: %w", err)
	}
	defer tx.Rollback()
	var hasPassword bool
	var others int
	err = tx.QueryRowContext(ctx,
		`SELECT password_hash != '', (SELECT count(*) FROM identities WHERE account_id = ?1 AND provider != ?2) FROM accounts WHERE id = ?1`,
		accountID, provider).Scan(&hasPassword, &others)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("unlink identity: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM identities WHERE account_id = ? AND provider = ?`, accountID, provider).Scan(&n); err != nil {
		return fmt.Errorf("unlink identity: %w", err)
	}
	if n == 0 {
		return &wire.Error{Code: wire.CodeNotFound, Message: "no identity at that provider is linked to this account"}
	}
	if !hasPassword && others == 0 {
		return oidc.ErrLastLoginMethod
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM identities WHERE account_id = ? AND provider = ?`, accountID, provider); err != nil {
		return fmt.Errorf("unlink identity: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("unlink identity: %w", err)
	}
	return nil
}

// Identities lists the account's identities, oldest first.
func (db *DB) Identities(ctx context.Context, accountID string) ([]oidc.Identity, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT issuer, subject, provider, created_at FROM identities WHERE account_id = ? ORDER BY created_at, provider`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	defer rows.Close()
	var out []oidc.Identity
	for rows.Next() {
		id := oidc.Identity{AccountID: accountID}
		var created int64
		if err := rows.Scan(&id.Issuer, &id.Subject, &id.Provider, &created); err != nil {
			return nil, fmt.Errorf("list identities: %w", err)
		}
		id.CreatedAt = time.Unix(created, 0)
		out = append(out, id)
	}
	return out, rows.Err()
}
