-- "Forgot password?" requests as typed, processed off the request path by the worker, so the
-- answer to the person never depends on whether an account matched.
CREATE TABLE reset_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER
);

-- Reset tokens, stored only as SHA-256 hashes, bound to tenant, account and the address the
-- link went to. Used at most once (used_at), cancelled by anything that changes the account.
CREATE TABLE reset_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sent_to TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'self',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    cancelled_at INTEGER
);
CREATE INDEX reset_tokens_account ON reset_tokens (account_id);

-- After the link is opened, the token moves into this short-lived state (its id in a cookie,
-- stored hashed), and the browser is redirected to a URL without the token.
CREATE TABLE reset_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state_hash TEXT NOT NULL UNIQUE,
    token_id INTEGER NOT NULL REFERENCES reset_tokens(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
