-- When the account last signed in (a password check that succeeded: the sign-in page or an API
-- key's check); NULL: never since this column exists. The users list sorts and filters by it.
ALTER TABLE accounts ADD COLUMN last_login_at INTEGER;
