package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/game"
)

var _ game.Results = (*DB)(nil)

// RecordMatch stores a finished round and its players' scores in one transaction.
func (db *DB) RecordMatch(ctx context.Context, m game.Match) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, db.stmts["insertMatch"]).ExecContext(ctx, m.LobbyID, m.Game, m.Started.UnixMilli(), m.Ended.UnixMilli())
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	ins := tx.StmtContext(ctx, db.stmts["insertPlayer"])
	for _, s := range m.Scores {
		if _, err := ins.ExecContext(ctx, id, s.AccountID, s.Name, s.Score); err != nil {
			return fmt.Errorf("record match player: %w", err)
		}
	}
	return tx.Commit()
}

// LeaderRow is one account's standing over every recorded match.
type LeaderRow struct {
	Username string `json:"username"`
	Total    int    `json:"total"`
	Matches  int    `json:"matches"`
	Best     int    `json:"best"`
}

// Leaderboard returns the accounts with the highest total scores.
func (db *DB) Leaderboard(ctx context.Context, limit int) ([]LeaderRow, error) {
	rows, err := db.rstmts["leaderboard"].QueryContext(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	defer rows.Close()
	out := []LeaderRow{}
	for rows.Next() {
		var r LeaderRow
		if err := rows.Scan(&r.Username, &r.Total, &r.Matches, &r.Best); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MatchRow is one match an account played.
type MatchRow struct {
	ID        int64     `json:"id"`
	Lobby     string    `json:"lobby"`
	Game      string    `json:"game"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Score     int       `json:"score"`
}

// MatchesOf returns an account's most recent matches, newest first.
func (db *DB) MatchesOf(ctx context.Context, accountID string, limit int) ([]MatchRow, error) {
	rows, err := db.rstmts["matchesOf"].QueryContext(ctx, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	defer rows.Close()
	out := []MatchRow{}
	for rows.Next() {
		var r MatchRow
		var started, ended int64
		if err := rows.Scan(&r.ID, &r.Lobby, &r.Game, &started, &ended, &r.Score); err != nil {
			return nil, err
		}
		r.StartedAt, r.EndedAt = time.UnixMilli(started).UTC(), time.UnixMilli(ended).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
