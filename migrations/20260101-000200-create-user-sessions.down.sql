-- Drops the user_sessions table: its indexes and constraints go with it.
DROP TABLE user_sessions;
