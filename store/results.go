package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/game"
)

var _ game.Results = (*DB)(nil)

// RecordMatch stores a finished round and its players' scores and places in one transaction.
// A player's place is one more than the number of players who scored more, so ties share it.
func (db *DB) RecordMatch(ctx context.Context, m game.Match) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, db.stmts["insertMatch"]).ExecContext(ctx, m.LobbyID, m.Game, m.Started.UnixMilli(), m.Ended.UnixMilli(), len(m.Scores))
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	ins := tx.StmtContext(ctx, db.stmts["insertPlayer"])
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
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record match: %w", err)
	}
	return nil
}

// LeaderRow is one account's standing over every recorded round.
type LeaderRow struct {
	Username string `json:"username"`
	Total    int    `json:"total"`   // score summed over its rounds
	Matches  int    `json:"matches"` // rounds played to the end
	Wins     int    `json:"wins"`    // rounds it finished first in (ties included) with a score above 0
	Best     int    `json:"best"`    // its best round's score
}

// Leaderboard returns the accounts with the highest total scores, best first.
func (db *DB) Leaderboard(ctx context.Context, limit int) ([]LeaderRow, error) {
	rows, err := db.rstmts["leaderboard"].QueryContext(ctx, limit)
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

// MatchesOf returns an account's most recent rounds, newest first.
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
		if err := rows.Scan(&r.ID, &r.Lobby, &r.Game, &started, &ended, &r.Players, &r.Score, &r.Place); err != nil {
			return nil, fmt.Errorf("matches: %w", err)
		}
		r.StartedAt, r.EndedAt = time.UnixMilli(started).UTC(), time.UnixMilli(ended).UTC()
		r.DurationMS = ended - started
		out = append(out, r)
	}
	return out, rows.Err()
}
