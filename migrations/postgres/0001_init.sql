-- Timestamps are integer seconds since the Unix epoch, UTC.
CREATE TABLE tenants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    public_url TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    password_reset_enabled BIGINT NOT NULL DEFAULT 0,
    reset_link_ttl_secs BIGINT NOT NULL DEFAULT 1800,
    password_min_length BIGINT NOT NULL DEFAULT 15,
    admin_reset_delay_secs BIGINT NOT NULL DEFAULT 600,
    reset_fallback_to_primary BIGINT NOT NULL DEFAULT 0,
    default_language TEXT NOT NULL DEFAULT 'en',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    reset_email TEXT,
    password_hash TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    must_change_password BIGINT NOT NULL DEFAULT 0,
    role TEXT NOT NULL DEFAULT 'user',
    password_changed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, username)
);
CREATE UNIQUE INDEX accounts_tenant_email ON accounts (tenant_id, email);
CREATE INDEX accounts_role ON accounts (role);

CREATE TABLE sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    tenant_id BIGINT REFERENCES tenants(id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    ip TEXT,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_tenant_at ON audit_events (tenant_id, at);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);

CREATE TABLE setup_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
