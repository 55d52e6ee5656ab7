-- Back to one token hash per session (one statement). Sessions stay live; a token already
-- rotated away is then simply unknown (401) instead of revoking its session.
ALTER TABLE user_sessions
    DROP KEY user_sessions_previous_token_hash_idx,
    DROP COLUMN previous_token_hash;
