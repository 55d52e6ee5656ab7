-- Back to one token hash per session (portable form: SQLite, PostgreSQL). Sessions stay live;
-- a token already rotated away is then simply unknown (401) instead of revoking its session.
DROP INDEX user_sessions_previous_token_hash_idx;
ALTER TABLE user_sessions DROP COLUMN previous_token_hash;
