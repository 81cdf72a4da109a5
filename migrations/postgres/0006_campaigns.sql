-- Admin-triggered resets for one or many: a campaign groups the mail tasks (mail_tasks.campaign_id).
CREATE TABLE campaigns (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- admin_reset_link, temporary_password or campaign (an invitation to request a link)
    kind TEXT NOT NULL,
    valid_for_secs BIGINT NOT NULL DEFAULT 0,
    scheduled_at BIGINT NOT NULL,
    custom_subject TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX campaigns_tenant ON campaigns (tenant_id, id);

-- Recipients that got no mail, and why.
CREATE TABLE campaign_skipped (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX campaign_skipped_campaign ON campaign_skipped (campaign_id);

-- A temporary password works only until this moment, and only to choose a new password.
ALTER TABLE accounts ADD COLUMN temp_password_expires_at BIGINT;
