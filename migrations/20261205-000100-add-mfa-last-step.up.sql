-- The TOTP time step of the last code each user had accepted: a code is accepted at most once
-- (RFC 6238 §5.2), so one of that step or an earlier one is refused as a replay. Written only
-- by a compare-and-set UPDATE, so two replicas racing with the same code cannot both win.
ALTER TABLE users ADD COLUMN mfa_last_step BIGINT;
