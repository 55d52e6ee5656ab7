DROP INDEX users_live_created_idx;
