-- account_tokens: password-reset and email-verification tokens (portable form: SQLite runs
-- this file). Only the SHA-256 hex of a token is stored, never the token. kind is
-- password_reset or email_verification; email is the address the token was issued for.
-- used_at is set when the token is spent or voided by a newer one of the same kind. Rows stay
-- after use so the per-email hourly limit can count them; the mail sender prunes expired ones.
CREATE TABLE account_tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT account_tokens_token_hash_check CHECK (length(token_hash) = 64),
    CONSTRAINT account_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX account_tokens_user_kind_idx ON account_tokens (user_id, kind, created_at);
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);
