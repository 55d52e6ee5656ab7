-- Drops the mfa_backup_codes table: its keys and constraints go with it.
DROP TABLE mfa_backup_codes;
