-- The outbox: every outgoing mail is a task row; the delivery worker claims due tasks with a lease.
CREATE TABLE mail_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    -- Template variables without secrets (JSON).
    data TEXT NOT NULL DEFAULT '{}',
    -- The one-time secret (reset link, temporary password), encrypted with the master key;
    -- erased once the mail has been accepted.
    secret TEXT,
    -- Rendered subject for listings (never contains a secret).
    subject TEXT NOT NULL DEFAULT '',
    campaign_id INTEGER,
    status TEXT NOT NULL DEFAULT 'waiting',
    scheduled_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_by TEXT NOT NULL DEFAULT 'system',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    done_at INTEGER
);
CREATE INDEX mail_tasks_due ON mail_tasks (status, next_attempt_at);
CREATE INDEX mail_tasks_tenant ON mail_tasks (tenant_id, id);
CREATE INDEX mail_tasks_campaign ON mail_tasks (campaign_id);

-- One row per delivery attempt, with the server's answer.
CREATE TABLE mail_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    task_id INTEGER REFERENCES mail_tasks(id) ON DELETE SET NULL,
    tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    success INTEGER NOT NULL,
    smtp_code INTEGER,
    smtp_reply TEXT NOT NULL DEFAULT '',
    step TEXT,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX mail_log_tenant ON mail_log (tenant_id, id);
CREATE INDEX mail_log_task ON mail_log (task_id);
