-- OpenID Connect sign-in. oidc_states holds each authorization request in flight until its
-- callback takes it (once) or it expires: the state and the browser-binding cookie only as
-- SHA-256 hashes, the PKCE verifier and nonce as sent, what the flow is for (login, or link
-- to account_id) and where the browser returns.
CREATE TABLE oidc_states (
	state_hash   TEXT PRIMARY KEY,
	provider     TEXT NOT NULL,
	verifier     TEXT NOT NULL,
	nonce        TEXT NOT NULL,
	intent       TEXT NOT NULL CHECK (intent IN ('login', 'link')),
	account_id   TEXT REFERENCES accounts(id) ON DELETE CASCADE,
	return_to    TEXT NOT NULL,
	binding_hash TEXT NOT NULL,
	expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX oidc_states_expires ON oidc_states(expires_at);

-- An identity at a provider, (iss, sub), belongs to one account; an account has at most one
-- identity per provider name.
CREATE TABLE identities (
	issuer     TEXT NOT NULL,
	subject    TEXT NOT NULL,
	provider   TEXT NOT NULL,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (issuer, subject),
	UNIQUE (account_id, provider)
) STRICT;
