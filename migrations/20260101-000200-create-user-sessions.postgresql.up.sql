-- user_sessions: server-side sessions. Only the hash of the session token is stored, never the
-- token. Deleting a row ends the session at once. Deleting a user row deletes its sessions.
CREATE TABLE user_sessions (
    id           uuid         NOT NULL PRIMARY KEY,
    user_id      uuid         NOT NULL,
    token_hash   varchar(128) NOT NULL,
    created_at   timestamptz  NOT NULL,
    expires_at   timestamptz  NOT NULL,
    last_seen_at timestamptz,
    revoked_at   timestamptz,
    ip           varchar(64),
    user_agent   text,
    CONSTRAINT user_sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

-- A user's sessions, newest first (also serves the foreign key's cascade).
CREATE INDEX user_sessions_user_id_idx ON user_sessions (user_id, created_at);
-- Counting live sessions: expires_at > now AND revoked_at IS NULL.
CREATE INDEX user_sessions_expires_at_idx ON user_sessions (expires_at, revoked_at);
