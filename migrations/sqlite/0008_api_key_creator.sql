-- The account that created a key in the console; NULL for keys made with the CLI (an operator's).
-- Such keys are revoked when that account is disabled, deleted or loses its administrator role.
-- No foreign key: the id stays on the (then revoked) keys after the account is deleted.
ALTER TABLE api_keys ADD COLUMN created_by_account INTEGER;
CREATE INDEX api_keys_created_by_account ON api_keys (created_by_account);
