-- access_expires_at is the latest exp of the access tokens issued under a session: an ended
-- session stays revoked until then, whatever the access token lifetime is set to later.
-- Sessions from before it was recorded take their refresh expiry, which no access token
-- issued with that refresh token outlives.
ALTER TABLE sessions ADD COLUMN access_expires_at INTEGER;
UPDATE sessions SET access_expires_at = expires_at;
