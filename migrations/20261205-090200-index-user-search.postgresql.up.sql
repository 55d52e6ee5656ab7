-- Trigram indexes for the listing's q search (a case-insensitive substring of email or name:
-- lower(col) LIKE '%q%'), over live users only as the listing never shows the others. A
-- selective term is then found through the indexes instead of by reading every row; a term of
-- one or two characters has no trigram and still reads the table (as it matches most rows,
-- its first page is found quickly anyway). fastupdate off: a new user goes straight into the
-- index instead of a pending list every search would have to read.
-- pg_trgm ships with PostgreSQL (contrib) and is trusted since PostgreSQL 13: the database
-- owner may create it. On PostgreSQL 12 a superuser must run CREATE EXTENSION pg_trgm in the
-- database first (IF NOT EXISTS then skips it here).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_email_trgm_idx ON users USING gin (lower(email) gin_trgm_ops)
    WITH (fastupdate = off) WHERE deleted_at IS NULL;

CREATE INDEX users_name_trgm_idx ON users USING gin (lower(name) gin_trgm_ops)
    WITH (fastupdate = off) WHERE deleted_at IS NULL;
