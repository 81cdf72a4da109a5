-- The outbox: every outgoing mail is a task row; the delivery worker claims due tasks with a lease.
CREATE TABLE mail_tasks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
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
    campaign_id BIGINT,
    status TEXT NOT NULL DEFAULT 'waiting',
    scheduled_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 5,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_by TEXT NOT NULL DEFAULT 'system',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX mail_tasks_due ON mail_tasks (status, next_attempt_at);
CREATE INDEX mail_tasks_tenant ON mail_tasks (tenant_id, id);
CREATE INDEX mail_tasks_campaign ON mail_tasks (campaign_id);

-- One row per delivery attempt, with the server's answer.
CREATE TABLE mail_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    task_id BIGINT REFERENCES mail_tasks(id) ON DELETE SET NULL,
    tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    success BIGINT NOT NULL,
    smtp_code BIGINT,
    smtp_reply TEXT NOT NULL DEFAULT '',
    step TEXT,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    attempt BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX mail_log_tenant ON mail_log (tenant_id, id);
CREATE INDEX mail_log_task ON mail_log (task_id);
