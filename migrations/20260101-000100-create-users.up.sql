-- users: one row per account (portable form: SQLite runs this file, PostgreSQL and MySQL have
-- their own variants). Timestamps are UTC ISO-8601 text 'YYYY-MM-DD HH:MM:SS.ffffff+00:00':
-- fixed width, so text order is time order, and comparable with SQLite's datetime('now').
-- Booleans are 0/1. Emails are unique case-insensitively (the service also stores them
-- lower-cased). Soft delete only sets deleted_at: the row stays, so a soft-deleted user's
-- email remains reserved and cannot be registered again.
CREATE TABLE users (
    id                 TEXT    NOT NULL PRIMARY KEY,
    email              TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    password_hash      TEXT    NOT NULL,
    role               TEXT    NOT NULL,
    active             INTEGER NOT NULL DEFAULT 1,
    mfa_enabled        INTEGER NOT NULL DEFAULT 0,
    mfa_secret         TEXT,
    failed_login_count INTEGER NOT NULL DEFAULT 0,
    lockout_until      TEXT,
    login_count        INTEGER NOT NULL DEFAULT 0,
    last_login         TEXT,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    deleted_at         TEXT,
    CONSTRAINT users_role_check CHECK (role IN ('admin', 'user', 'viewer')),
    CONSTRAINT users_flags_check CHECK (active IN (0, 1) AND mfa_enabled IN (0, 1)),
    CONSTRAINT users_counts_check CHECK (failed_login_count >= 0 AND login_count >= 0)
);

-- Case-insensitive uniqueness, soft-deleted rows included (their emails stay reserved).
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_created_at_idx ON users (created_at, id);
