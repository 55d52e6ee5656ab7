-- mfa_backup_codes: one-time MFA backup codes (portable form: SQLite runs this file). Only the
-- SHA-256 hex of a code is stored, never the code: the length check refuses a raw code stored
-- by mistake. used_at is set once, when the code is spent. Enabling MFA replaces a user's
-- codes, disabling deletes them; deleting a user row deletes its codes. Timestamps are UTC
-- ISO-8601 text as in users. The unique key on (user_id, code_hash) is also the index on
-- user_id: it serves the unused-code lookup, the replace's delete and the foreign key (a
-- second index on user_id alone would only cost writes).
CREATE TABLE mfa_backup_codes (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT mfa_backup_codes_user_id_code_hash_key UNIQUE (user_id, code_hash),
    CONSTRAINT mfa_backup_codes_code_hash_check CHECK (length(code_hash) = 64),
    CONSTRAINT mfa_backup_codes_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
