package store

import (
	"context"
	"fmt"
	"time"
)

// EndedSession is a session that ended, as a running server learns of it from the database.
type EndedSession struct {
	ID        string
	AccountID string
	ExpiresAt time.Time
}

// SessionsEndedSince returns the sessions that ended at or after since (unix seconds, so a
// caller polling with overlapping windows sees each at least once) and have not yet expired.
func (db *DB) SessionsEndedSince(ctx context.Context, since, now time.Time) ([]EndedSession, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT id, account_id, expires_at FROM sessions WHERE ended_at IS NOT NULL AND ended_at >= ? AND expires_at > ?`,
		since.Unix(), now.Unix())
	if err != nil {
		return nil, fmt.Errorf("ended sessions: %w", err)
	}
	defer rows.Close()
	var out []EndedSession
	for rows.Next() {
		var e EndedSession
		var exp int64
		if err := rows.Scan(&e.ID, &e.AccountID, &exp); err != nil {
			return nil, fmt.Errorf("ended sessions: %w", err)
		}
		e.ExpiresAt = time.Unix(exp, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}

// DisabledAccounts returns the ids of every disabled account.
func (db *DB) DisabledAccounts(ctx context.Context) (map[string]bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM accounts WHERE disabled = 1`)
	if err != nil {
		return nil, fmt.Errorf("disabled accounts: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("disabled accounts: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}
