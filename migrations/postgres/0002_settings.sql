-- Settings documents by scope ('system', 'tenant:<id>') and key ('smtp', …), as JSON text.
CREATE TABLE settings (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
