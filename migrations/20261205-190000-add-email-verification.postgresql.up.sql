-- When the user proved they read mail at their current address (NULL: not verified). Set by
-- the verification link; cleared whenever the email changes.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
