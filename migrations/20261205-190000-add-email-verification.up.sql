-- When the user proved they read mail at their current address (NULL: not verified), as UTC
-- ISO-8601 text like the other timestamps. Set by the verification link; cleared whenever the
-- email changes.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
