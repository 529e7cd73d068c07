package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Invite is a code that admits registrations while the server runs with --registration invite.
type Invite struct {
	Code      string
	CreatedBy string // the admin's username, or "cli"
	Note      string
	CreatedAt time.Time
	ExpiresAt time.Time
	MaxUses   int
	Uses      int
}

// ErrInviteExists is returned when a new invite's code is already taken.
var ErrInviteExists = errors.New("invite code already exists")

// CreateInvite stores inv with no uses.
func (db *DB) CreateInvite(ctx context.Context, inv Invite) error {
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO invites (code, created_by, note, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?)`,
		inv.Code, inv.CreatedBy, inv.Note, inv.CreatedAt.Unix(), inv.ExpiresAt.Unix(), inv.MaxUses)
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
		return ErrInviteExists
	}
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return nil
}

// ClaimInvite takes one use of code, atomically, if it exists, has a use left and has not
// expired by now. It reports whether it did. A registration that then fails gives the use back
// with ReleaseInvite.
func (db *DB) ClaimInvite(ctx context.Context, code string, now time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx,
		`UPDATE invites SET uses = uses + 1 WHERE code = ? AND uses < max_uses AND expires_at > ?`, code, now.Unix())
	if err != nil {
		return false, fmt.Errorf("claim invite: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseInvite gives back one use of code that ClaimInvite took.
func (db *DB) ReleaseInvite(ctx context.Context, code string) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE invites SET uses = uses - 1 WHERE code = ? AND uses > 0`, code); err != nil {
		return fmt.Errorf("release invite: %w", err)
	}
	return nil
}

// DeleteInvite removes code; it reports false when there was no such invite.
func (db *DB) DeleteInvite(ctx context.Context, code string) (bool, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM invites WHERE code = ?`, code)
	if err != nil {
		return false, fmt.Errorf("delete invite: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ListInvites returns up to limit invites that can still be used at now, newest first.
func (db *DB) ListInvites(ctx context.Context, now time.Time, limit int) ([]Invite, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT code, created_by, note, created_at, expires_at, max_uses, uses FROM invites
		 WHERE uses < max_uses AND expires_at > ? ORDER BY created_at DESC, code LIMIT ?`, now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		var inv Invite
		var created, expires int64
		if err := rows.Scan(&inv.Code, &inv.CreatedBy, &inv.Note, &created, &expires, &inv.MaxUses, &inv.Uses); err != nil {
			return nil, fmt.Errorf("list invites: %w", err)
		}
		inv.CreatedAt, inv.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
		out = append(out, inv)
	}
	return out, rows.Err()
}

// PurgeInvites deletes invites that expired by now. Used-up ones stay until then, so that a
// use given back by ReleaseInvite is never lost.
func (db *DB) PurgeInvites(ctx context.Context, now time.Time) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM invites WHERE expires_at <= ?`, now.Unix()); err != nil {
		return fmt.Errorf("purge invites: %w", err)
	}
	return nil
}
