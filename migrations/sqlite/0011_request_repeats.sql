-- "Forgot password?" requests for the same identifier coalesce while they wait: one row with a
-- count, so a flood of repeats can't grow the backlog or the audit log without bound.
ALTER TABLE reset_requests ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
DELETE FROM reset_requests
 WHERE id NOT IN (SELECT MIN(id) FROM reset_requests GROUP BY tenant_id, identifier);
CREATE UNIQUE INDEX reset_requests_one_per_identifier ON reset_requests (tenant_id, identifier);
