-- An ended session stays in the revocation index until its last access token expires:
-- revoked_until is that time, fixed when the session ends, so a later change of the access
-- token lifetime cannot shorten it.
ALTER TABLE sessions ADD COLUMN revoked_until INTEGER;
UPDATE sessions SET revoked_until = expires_at WHERE ended_at IS NOT NULL;
DROP INDEX sessions_ended;
CREATE INDEX sessions_revoked ON sessions(revoked_until) WHERE ended_at IS NOT NULL;

-- The periodic purge deletes by expiry.
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);
