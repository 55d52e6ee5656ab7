-- account_tokens: password-reset and email-verification tokens (one statement: DDL here is
-- not transactional). Only the SHA-256 hex of a token is stored, never the token. kind is
-- password_reset or email_verification; email is the address the token was issued for.
-- used_at is set when the token is spent or voided by a newer one of the same kind. Rows stay
-- after use so the per-email hourly limit can count them; the mail sender prunes expired ones.
-- Timestamps are DATETIME(6) holding UTC.
CREATE TABLE account_tokens (
    id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    kind       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email      VARCHAR(320) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY account_tokens_token_hash_key (token_hash),
    KEY account_tokens_user_kind_idx (user_id, kind, created_at),
    KEY account_tokens_expires_at_idx (expires_at),
    CONSTRAINT account_tokens_token_hash_check CHECK (length(token_hash) = 64),
    CONSTRAINT account_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
