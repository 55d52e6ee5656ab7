-- The triggers go first (they call the functions), then the functions and the table.
DROP TRIGGER users_list_stats_truncate ON users;
DROP TRIGGER users_list_stats_update ON users;
DROP TRIGGER users_list_stats_delete ON users;
DROP TRIGGER users_list_stats_insert ON users;
DROP FUNCTION user_list_stats_truncated();
DROP FUNCTION user_list_stats_updated();
DROP FUNCTION user_list_stats_deleted();
DROP FUNCTION user_list_stats_inserted();
DROP TABLE user_list_stats;
