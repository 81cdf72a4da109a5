-- Directory-backed accounts: linked to a person of the tenant's LDAP directory by a stable id
-- (entryUUID, objectGUID), with the DN as last seen. NULL = a local account (password in
-- password_hash). A directory account keeps no local hash.
ALTER TABLE accounts ADD COLUMN directory_id TEXT;
ALTER TABLE accounts ADD COLUMN directory_dn TEXT;
CREATE UNIQUE INDEX accounts_directory_id ON accounts (tenant_id, directory_id);

-- While a directory is being asked to set a new password, the token is claimed (so no second
-- submission writes too); used_at is set only once the directory said yes, and a claim that
-- outlives a crash simply expires.
ALTER TABLE reset_tokens ADD COLUMN claimed_until INTEGER;
