-- Change notifications for the per-process cache of the user listing's q searches: their
-- totals and which users their pages hold (PostgreSQL only). Every committed change a search
-- can see sends `users-listed` on the channel boundary_changes, whoever made it — the service,
-- another replica, or an operator's manual SQL: an INSERT or DELETE of users (once per
-- statement), and an UPDATE that changes a column the search filters on (email, name, role,
-- active, deleted_at) or orders by (list_seq, which only an operator writes). Other updates (a
-- login's counters, an MFA step) send nothing here, so they leave the cache as it is. TRUNCATE
-- already sends `*` (the notify-changes migration). PostgreSQL delivers notifications at
-- commit and folds identical ones within one transaction: a bulk change sends one.
CREATE FUNCTION boundary_notify_user_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('boundary_changes', 'users-listed');
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_notify_listing_rows AFTER INSERT OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION boundary_notify_user_listing();
CREATE TRIGGER users_notify_listing_columns
    AFTER UPDATE OF email, name, role, active, deleted_at, list_seq ON users
    FOR EACH ROW
    WHEN (OLD.email IS DISTINCT FROM NEW.email
          OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.list_seq IS DISTINCT FROM NEW.list_seq)
    EXECUTE FUNCTION boundary_notify_user_listing();
