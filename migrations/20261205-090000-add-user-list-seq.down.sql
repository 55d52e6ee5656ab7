-- Back to the (created_at, id) listing's indexes (portable form: SQLite).
CREATE INDEX users_live_created_idx ON users (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX users_role_idx ON users (role);
DROP INDEX users_role_list_idx;
DROP TRIGGER users_list_seq_assign;
DROP INDEX users_list_seq_key;
ALTER TABLE users DROP COLUMN list_seq;
