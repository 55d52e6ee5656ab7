-- user_sessions: server-side sessions (portable form: SQLite runs this file). Only the hash of
-- the session token is stored, never the token. Deleting a row ends the session at once,
-- deleting a user row deletes its sessions. Timestamps are UTC ISO-8601 text as in users.
CREATE TABLE user_sessions (
    id           TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_seen_at TEXT,
    revoked_at   TEXT,
    ip           TEXT,
    user_agent   TEXT,
    CONSTRAINT user_sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

-- A user's sessions, newest first (also serves the foreign key).
CREATE INDEX user_sessions_user_id_idx ON user_sessions (user_id, created_at);
-- Counting live sessions: expires_at > now AND revoked_at IS NULL.
CREATE INDEX user_sessions_expires_at_idx ON user_sessions (expires_at, revoked_at);
