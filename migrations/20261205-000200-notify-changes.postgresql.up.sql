-- Change notifications for the per-process cache of sessions and users (PostgreSQL only).
-- Every committed UPDATE or DELETE of a user or a session sends `u:<user id>` on the channel
-- boundary_changes, whoever made it — the service, another replica, or an operator's manual
-- SQL — and a TRUNCATE sends `*` (forget everything). PostgreSQL delivers notifications at
-- commit, to every listening process, and folds duplicates within one transaction. Inserts
-- need none: a new row was never cached.
CREATE FUNCTION boundary_notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('boundary_changes', '*');
    ELSIF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('boundary_changes', 'u:' || OLD.id::text);
    ELSE
        PERFORM pg_notify('boundary_changes', 'u:' || OLD.user_id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_notify_change AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION boundary_notify_user_change();
CREATE TRIGGER users_notify_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION boundary_notify_user_change();
CREATE TRIGGER user_sessions_notify_change AFTER UPDATE OR DELETE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION boundary_notify_user_change();
CREATE TRIGGER user_sessions_notify_truncate AFTER TRUNCATE ON user_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION boundary_notify_user_change();
