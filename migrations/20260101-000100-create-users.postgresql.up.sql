-- users: one row per account. Emails are unique case-insensitively through a unique index on
-- lower(email) (the service also stores them lower-cased). Soft delete only sets deleted_at:
-- the row stays, so a soft-deleted user's email remains reserved and cannot be registered again.
CREATE TABLE users (
    id                 uuid         NOT NULL PRIMARY KEY,
    email              varchar(320) NOT NULL,
    name               varchar(255) NOT NULL,
    password_hash      varchar(255) NOT NULL,
    role               varchar(16)  NOT NULL,
    active             boolean      NOT NULL DEFAULT true,
    mfa_enabled        boolean      NOT NULL DEFAULT false,
    mfa_secret         text,
    failed_login_count integer      NOT NULL DEFAULT 0,
    lockout_until      timestamptz,
    login_count        integer      NOT NULL DEFAULT 0,
    last_login         timestamptz,
    created_at         timestamptz  NOT NULL,
    updated_at         timestamptz  NOT NULL,
    deleted_at         timestamptz,
    CONSTRAINT users_role_check CHECK (role IN ('admin', 'user', 'viewer')),
    CONSTRAINT users_counts_check CHECK (failed_login_count >= 0 AND login_count >= 0)
);

-- Case-insensitive uniqueness, soft-deleted rows included (their emails stay reserved).
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_created_at_idx ON users (created_at, id);
