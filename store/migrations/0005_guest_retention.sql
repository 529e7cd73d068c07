-- Guest retention: guests that have not signed in (made, or refreshed a session) since
-- last_seen_at are deleted after --guest-retention, with their sessions. 0 means "since
-- created_at". Accounts that existed before this migration count as seen now, so an upgrade
-- deletes nobody at once.
ALTER TABLE accounts ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET last_seen_at = CAST(strftime('%s', 'now') AS INTEGER);
-- The retention sweep finds idle guests by this index, never by a scan of every account.
CREATE INDEX accounts_guests_seen ON accounts(max(last_seen_at, created_at)) WHERE guest = 1;

-- Match results outlive their players' accounts: match_players keeps the name each player
-- had, and loses its foreign key to accounts (which would have deleted the results with a
-- deleted guest). SQLite cannot drop a foreign key, so the table is rebuilt, as its ALTER
-- TABLE documentation describes; nothing refers to match_players, so the rebuild is safe with
-- foreign keys on.
CREATE TABLE match_players_new (
	match_id    INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
	account_id  TEXT NOT NULL,
	name        TEXT NOT NULL,
	score       INTEGER NOT NULL,
	place       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (match_id, account_id)
) STRICT;
INSERT INTO match_players_new (match_id, account_id, name, score, place)
	SELECT match_id, account_id, name, score, place FROM match_players;
DROP TABLE match_players;
ALTER TABLE match_players_new RENAME TO match_players;
CREATE INDEX match_players_account ON match_players(account_id);
