-- Session token rotation with reuse detection (one statement: DDL here is not transactional).
-- Each refresh replaces token_hash with the hash of a new session token and keeps the one it
-- replaced in previous_token_hash: a client presenting that old token again is a sign the
-- token was copied, and the session is revoked. NULL until the first refresh. ASCII compared
-- byte for byte, like token_hash. The index finds the session an old token belonged to.
ALTER TABLE user_sessions
    ADD COLUMN previous_token_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD KEY user_sessions_previous_token_hash_idx (previous_token_hash);
