-- The triggers first, then the table (portable form: SQLite).
DROP TRIGGER users_list_stats_update;
DROP TRIGGER users_list_stats_delete;
DROP TRIGGER users_list_stats_insert;
DROP TABLE user_list_stats;
