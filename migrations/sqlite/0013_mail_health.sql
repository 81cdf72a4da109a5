-- Mail health (issue 17): which delivery workers are alive, the route each attempt took, and
-- each route's last judged state (so an alert goes out once per change, whichever instance sees it).
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
);
ALTER TABLE mail_log ADD COLUMN route TEXT;
CREATE INDEX mail_log_route ON mail_log (route, id);
CREATE TABLE mail_route_health (
    route TEXT PRIMARY KEY,
    tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
    broken INTEGER NOT NULL DEFAULT 0,
    changed_at INTEGER NOT NULL
);
