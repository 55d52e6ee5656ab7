-- When the user proved they read mail at their current address (NULL: not verified), as
-- DATETIME(6) holding UTC. Set by the verification link; cleared whenever the email changes.
ALTER TABLE users ADD COLUMN email_verified_at DATETIME(6) NULL;
