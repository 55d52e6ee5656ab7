-- Session token rotation with reuse detection (portable form: SQLite runs this file). Each
-- refresh replaces token_hash with the hash of a new session token and keeps the one it
-- replaced in previous_token_hash: a client presenting that old token again is a sign the
-- token was copied, and the session is revoked. NULL until the first refresh. The index finds
-- the session an old token belonged to.
ALTER TABLE user_sessions ADD COLUMN previous_token_hash TEXT;
CREATE INDEX user_sessions_previous_token_hash_idx ON user_sessions (previous_token_hash);
