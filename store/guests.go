package store

import (
	"context"
	"fmt"
	"time"
)

// SeenAccount records that an account signed in (made a session or refreshed one) at at, for
// guest retention. It never moves the time back.
func (db *DB) SeenAccount(ctx context.Context, accountID string, at time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE accounts SET last_seen_at = ?1 WHERE id = ?2 AND last_seen_at < ?1`, at.Unix(), accountID)
	if err != nil {
		return fmt.Errorf("seen account: %w", err)
	}
	return nil
}

// guestBatch bounds the guests one transaction deletes, so that a large backlog never holds
// the writer for long.
const guestBatch = 500

// DeleteIdleGuests deletes the guest accounts that have not signed in since before cutoff,
// with their sessions, a batch per transaction, and returns how many it deleted. A guest with
// a session still revoked at now (its revocation must outlive it, and a restart reads it from
// the sessions) waits until that revocation has lapsed. Match results stay: match_players has
// no foreign key to accounts and keeps the name each player had.
func (db *DB) DeleteIdleGuests(ctx context.Context, cutoff, now time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.write.ExecContext(ctx, `DELETE FROM accounts WHERE id IN (
			SELECT a.id FROM accounts a
			WHERE a.guest = 1 AND max(a.last_seen_at, a.created_at) < ?1
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.account_id = a.id AND s.revoked_until >= ?2)
			LIMIT ?3)`, cutoff.Unix(), now.Unix(), guestBatch)
		if err != nil {
			return total, fmt.Errorf("delete idle guests: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("delete idle guests: %w", err)
		}
		total += n
		if n < guestBatch {
			return total, nil
		}
	}
}
