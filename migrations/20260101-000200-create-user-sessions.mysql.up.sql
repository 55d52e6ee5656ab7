-- user_sessions: server-side sessions (one statement: DDL here is not transactional). Only the
-- hash of the session token is stored, never the token. Ids and the hash are ASCII, compared
-- byte for byte. Deleting a row ends the session at once. Deleting a user row deletes its
-- sessions. Timestamps are DATETIME(6) holding UTC.
CREATE TABLE user_sessions (
    id           CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id      CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    token_hash   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    expires_at   DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NULL,
    revoked_at   DATETIME(6) NULL,
    ip           VARCHAR(64) NULL,
    user_agent   TEXT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY user_sessions_token_hash_key (token_hash),
    KEY user_sessions_user_id_idx (user_id, created_at),
    KEY user_sessions_expires_at_idx (expires_at, revoked_at),
    CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
