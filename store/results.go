package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/game"
)

var _ game.Results = (*DB)(nil)

// RecordMatch stores a finished round and its players' scores and places, and adds them to the
// players' leaderboard standings, in one transaction. A player's place is one more than the
// number of players who scored more, so ties share it. A round whose Key is recorded already
// is not recorded again: a result delivered twice counts once.
func (db *DB) RecordMatch(ctx context.Context, m game.Match) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	defer tx.Rollback()
	var key any
	if m.Key != "" {
		key = m.Key
	}
	res, err := tx.StmtContext(ctx, db.stmts["insertMatch"]).ExecContext(ctx, m.LobbyID, m.Game, m.Started.UnixMilli(), m.Ended.UnixMilli(), len(m.Scores), key)
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record match: %w", err)
	} else if n == 0 {
		return nil // recorded before
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	ins := tx.StmtContext(ctx, db.stmts["insertPlayer"])
	add := tx.StmtContext(ctx, db.stmts["addStanding"])
	for _, s := range m.Scores {
		place := 1
		for _, o := range m.Scores {
			if o.Score > s.Score {
				place++
			}
		}
		if _, err := ins.ExecContext(ctx, id, s.AccountID, s.Name, s.Score, place); err != nil {
			return fmt.Errorf("record match player: %w", err)
		}
		win := 0
		if place == 1 && s.Score > 0 {
			win = 1
		}
		if _, err := add.ExecContext(ctx, s.AccountID, s.Name, s.Score, win); err != nil {
			return fmt.Errorf("record match standing: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	return nil
}

// LeaderRow is one account's standing over every recorded round, pruned ones included.
type LeaderRow struct {
	Username string `json:"username"`
	Total    int    `json:"total"`   // score summed over its rounds
	Matches  int    `json:"matches"` // rounds played to the end
	Wins     int    `json:"wins"`    // rounds it finished first in (ties included) with a score above 0
	Best     int    `json:"best"`    // its best round's score
}

// Leaderboard returns the accounts with the highest total scores, best first (ties by name).
// It reads the kept standings on the public pool, limit rows by index whatever the history's
// length; an account deleted since its rounds keeps its row.
func (db *DB) Leaderboard(ctx context.Context, limit int) ([]LeaderRow, error) {
	rows, err := db.pstmts["leaderboard"].QueryContext(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	defer rows.Close()
	out := []LeaderRow{}
	for rows.Next() {
		var r LeaderRow
		if err := rows.Scan(&r.Username, &r.Total, &r.Matches, &r.Wins, &r.Best); err != nil {
			return nil, fmt.Errorf("leaderboard: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MatchRow is one round an account played.
type MatchRow struct {
	ID         int64     `json:"id"`
	Lobby      string    `json:"lobby"`
	Game       string    `json:"game"`
	StartedAt  time.Time `json:"started_at"`
	EndedAt    time.Time `json:"ended_at"`
	DurationMS int64     `json:"duration_ms"`
	Players    int       `json:"players"`
	Score      int       `json:"score"`
	Place      int       `json:"place"`
}

// MatchesOf returns an account's most recent rounds, newest first, on the public pool.
func (db *DB) MatchesOf(ctx context.Context, accountID string, limit int) ([]MatchRow, error) {
	rows, err := db.pstmts["matchesOf"].QueryContext(ctx, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	defer rows.Close()
	out := []MatchRow{}
	for rows.Next() {
		var r MatchRow
		var started, ended int64
		if err := rows.Scan(&r.ID, &r.Lobby, &r.Game, &started, &ended, &r.Players, &r.Score, &r.Place); err != nil {
			return nil, fmt.Errorf("matches: %w", err)
		}
		r.StartedAt, r.EndedAt = time.UnixMilli(started).UTC(), time.UnixMilli(ended).UTC()
		r.DurationMS = ended - started
		out = append(out, r)
	}
	return out, rows.Err()
}

// pruneBatch bounds the rounds one purge transaction deletes, so that the writer is never held
// for long by a large backlog.
const pruneBatch = 500

// PruneMatches deletes the rounds that ended before cutoff, with their players' rows, a batch
// per transaction, and returns how many rounds it deleted. The leaderboard standings keep
// what they counted.
func (db *DB) PruneMatches(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.stmts["pruneMatches"].ExecContext(ctx, cutoff.UnixMilli(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune matches: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune matches: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
