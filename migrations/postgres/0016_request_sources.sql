-- Where a waiting "Forgot password?" request came from, as the per-IP limits count it (an IPv4
-- address, an IPv6 /64), and how many further requests from there were not queued while it
-- waited (forgot_password_waiting_per_ip): a flood from one address can't grow the backlog.
ALTER TABLE reset_requests ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE reset_requests ADD COLUMN not_queued BIGINT NOT NULL DEFAULT 0;
CREATE INDEX reset_requests_by_source ON reset_requests (source, id);
