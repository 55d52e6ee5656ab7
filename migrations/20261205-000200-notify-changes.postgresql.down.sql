DROP TRIGGER user_sessions_notify_truncate ON user_sessions;
DROP TRIGGER user_sessions_notify_change ON user_sessions;
DROP TRIGGER users_notify_truncate ON users;
DROP TRIGGER users_notify_change ON users;
DROP FUNCTION boundary_notify_user_change();
