CREATE TABLE accounts (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
	password_hash TEXT NOT NULL DEFAULT '',
	scopes        TEXT NOT NULL,
	guest         INTEGER NOT NULL DEFAULT 0,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	refresh_jti   TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	ended_at      INTEGER,
	ended_reason  TEXT
) STRICT;
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE revoked_tokens (
	jti        TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE matches (
	id          INTEGER PRIMARY KEY,
	lobby_id    TEXT NOT NULL,
	game        TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE match_players (
	match_id    INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
	account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	score       INTEGER NOT NULL,
	PRIMARY KEY (match_id, account_id)
) STRICT;
CREATE INDEX match_players_account ON match_players(account_id);
