-- A person's own language and time zone (NULL: the tenant's), and the tenant's default time zone.
ALTER TABLE accounts ADD COLUMN language TEXT;
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
