-- Invite codes for --registration invite: each admits up to max_uses registrations before
-- expires_at (unix seconds).
CREATE TABLE invites (
	code        TEXT PRIMARY KEY,
	created_by  TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	max_uses    INTEGER NOT NULL CHECK (max_uses > 0),
	uses        INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0)
) STRICT;
