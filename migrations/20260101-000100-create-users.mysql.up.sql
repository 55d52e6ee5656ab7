-- users: one row per account (MySQL 8+ / MariaDB 10.6+, one statement, as DDL here is not
-- transactional). Timestamps are DATETIME(6) holding UTC. MariaDB has no functional indexes,
-- so email is unique case-insensitively through its collation (utf8mb4_unicode_ci, which also
-- ignores accents and trailing spaces). The service stores emails lower-cased and trimmed.
-- Soft delete only sets deleted_at: the row stays, so a soft-deleted user's email remains
-- reserved and cannot be registered again. Ids and role are ASCII with binary collation, so the
-- role CHECK is case-sensitive as on the other databases.
CREATE TABLE users (
    id                 CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email              VARCHAR(320) NOT NULL,
    name               VARCHAR(255) NOT NULL,
    password_hash      VARCHAR(255) NOT NULL,
    role               VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    mfa_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_secret         TEXT NULL,
    failed_login_count INT NOT NULL DEFAULT 0,
    lockout_until      DATETIME(6) NULL,
    login_count        INT NOT NULL DEFAULT 0,
    last_login         DATETIME(6) NULL,
    created_at         DATETIME(6) NOT NULL,
    updated_at         DATETIME(6) NOT NULL,
    deleted_at         DATETIME(6) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY users_email_key (email),
    KEY users_role_idx (role),
    KEY users_created_at_idx (created_at, id),
    CONSTRAINT users_role_check CHECK (role IN ('admin', 'user', 'viewer')),
    CONSTRAINT users_counts_check CHECK (failed_login_count >= 0 AND login_count >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
