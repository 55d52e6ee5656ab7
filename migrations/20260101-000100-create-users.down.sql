-- Drops the users table: its indexes and constraints go with it.
DROP TABLE users;
