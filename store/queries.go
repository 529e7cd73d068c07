package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Statements prepared once at open, on the writer (writes), the reader pool (reads) or the
// public pool (public reads).
var writeQueries = map[string]string{
	"insertAccount":  `INSERT INTO accounts (id, username, password_hash, scopes, guest, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
	"setDisabled":    `UPDATE accounts SET disabled = ? WHERE id = ?`,
	"endAllSessions": `UPDATE sessions SET ended_at = ?1, ended_reason = 'ban', revoked_until = coalesce(access_expires_at, ?2) WHERE account_id = ?3 AND ended_at IS NULL RETURNING id, revoked_until`,
	"setPassword":    `UPDATE accounts SET password_hash = ? WHERE id = ?`,
	"setScopes":      `UPDATE accounts SET scopes = ? WHERE id = ?`,
	"insertSession":  `INSERT INTO sessions (id, account_id, refresh_jti, created_at, expires_at, access_expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
	"rotateRefresh":  `UPDATE sessions SET refresh_jti = ?1, expires_at = ?2, access_expires_at = max(coalesce(access_expires_at, ?5), coalesce(?5, access_expires_at)) WHERE id = ?3 AND refresh_jti = ?4 AND ended_at IS NULL`,
	"endSession":     `UPDATE sessions SET ended_at = ?1, ended_reason = ?2, revoked_until = coalesce(access_expires_at, ?3) WHERE id = ?4 AND ended_at IS NULL RETURNING revoked_until`,
	"revokeToken":    `INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING`,
	"purgeTokens":    `DELETE FROM revoked_tokens WHERE expires_at < ?`,
	"purgeSessions":  `DELETE FROM sessions WHERE expires_at < ?1 AND (revoked_until IS NULL OR revoked_until < ?1)`,
	// insertMatch records a round, or nothing when a round of that key is recorded already.
	"insertMatch":  `INSERT INTO matches (lobby_id, game, started_at, ended_at, players, round_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (round_key) DO NOTHING`,
	"insertPlayer": `INSERT INTO match_players (match_id, account_id, name, score, place) VALUES (?, ?, ?, ?, ?)`,
	// addStanding adds one round to an account's leaderboard row (?1 account, ?2 its name in the
	// round, ?3 score, ?4 1 for a win); the name is the account's own while it exists.
	"addStanding": `INSERT INTO leaderboard (account_id, username, total, matches, wins, best) VALUES (?1, COALESCE((SELECT username FROM accounts WHERE id = ?1), ?2), ?3, 1, ?4, ?3)
		ON CONFLICT (account_id) DO UPDATE SET username = excluded.username, total = total + excluded.total, matches = matches + 1, wins = wins + excluded.wins, best = max(best, excluded.best)`,
	"pruneMatches": `DELETE FROM matches WHERE id IN (SELECT id FROM matches WHERE ended_at < ? ORDER BY ended_at LIMIT ?)`,
}

var readQueries = map[string]string{
	"accountByName": `SELECT id, username, password_hash, scopes, guest, disabled, created_at FROM accounts WHERE username = ?`,
	"accountByID":   `SELECT id, username, password_hash, scopes, guest, disabled, created_at FROM accounts WHERE id = ?`,
	"endedSessions": `SELECT id, revoked_until FROM sessions WHERE ended_at IS NOT NULL AND revoked_until > ?`,
	"revokedTokens": `SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > ?`,
	"disabled":      `SELECT id FROM accounts WHERE disabled = 1`,
	"listAccounts":  `SELECT id, username, password_hash, scopes, guest, disabled, created_at FROM accounts WHERE guest = 0 ORDER BY username LIMIT ?`,
	"sessionsOf":    `SELECT id FROM sessions WHERE account_id = ? AND ended_at IS NULL AND expires_at > ?`,
	"sessionCount":  `SELECT count(*) FROM sessions`,
}

// publicQueries are the reads of the results, prepared on the public pool: what players read
// about rounds, kept apart from the reads that logins and readiness make.
var publicQueries = map[string]string{
	"leaderboard": `SELECT username, total, matches, wins, best FROM leaderboard ORDER BY total DESC, username LIMIT ?`,
	"matchesOf":   `SELECT m.id, m.lobby_id, m.game, m.started_at, m.ended_at, m.players, p.score, p.place FROM match_players p JOIN matches m ON m.id = p.match_id WHERE p.account_id = ? ORDER BY m.ended_at DESC, m.id DESC LIMIT ?`,
}

func (db *DB) prepare(ctx context.Context) error {
	db.stmts = map[string]*sql.Stmt{}
	for name, q := range writeQueries {
		s, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
		db.stmts[name] = s
	}
	db.rstmts = map[string]*sql.Stmt{}
	for name, q := range readQueries {
		s, err := db.read.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
		db.rstmts[name] = s
	}
	db.pstmts = map[string]*sql.Stmt{}
	for name, q := range publicQueries {
		s, err := db.public.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
		db.pstmts[name] = s
	}
	return nil
}
