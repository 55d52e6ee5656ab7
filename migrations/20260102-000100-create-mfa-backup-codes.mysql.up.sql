-- mfa_backup_codes: one-time MFA backup codes (one statement: DDL here is not transactional).
-- Only the SHA-256 hex of a code is stored, never the code: the length check refuses a raw
-- code stored by mistake. Ids and the hash are ASCII, compared byte for byte. used_at is set
-- once, when the code is spent. Enabling MFA replaces a user's codes, disabling deletes them;
-- deleting a user row deletes its codes. Timestamps are DATETIME(6) holding UTC. The unique
-- key on (user_id, code_hash) is also the index on user_id: it serves the unused-code lookup,
-- the replace's delete and the foreign key (a second key on user_id alone would only cost
-- writes).
CREATE TABLE mfa_backup_codes (
    id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    code_hash  CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    used_at    DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY mfa_backup_codes_user_id_code_hash_key (user_id, code_hash),
    CONSTRAINT mfa_backup_codes_code_hash_check CHECK (length(code_hash) = 64),
    CONSTRAINT mfa_backup_codes_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
