-- The extension stays: it may have been there before (IF NOT EXISTS) and other objects may
-- use it; it holds no data and costs nothing unused. DROP EXTENSION pg_trgm by hand if wanted.
DROP INDEX users_name_trgm_idx;
DROP INDEX users_email_trgm_idx;
