-- Back to the (created_at, id) listing's indexes; dropping the column drops its identity
-- sequence and its indexes.
CREATE INDEX users_live_created_idx ON users (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX users_role_idx ON users (role);
DROP INDEX users_role_list_idx;
ALTER TABLE users DROP COLUMN list_seq;
