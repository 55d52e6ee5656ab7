-- user_list_stats: how many live (deleted_at IS NULL) users there are per role and active flag
-- in each bucket of consecutive list_seq values, at two spans: buckets of 1,024 (bucket =
-- list_seq / 1024) and groups of 32 such buckets (span 32768, bucket = list_seq / 32768).
-- The listing's total is a SUM over the span-32768 rows its role/active filter selects (about
-- 30 per million users), never a count(*) over users. A deep offset finds its group by a
-- running sum over those rows, then its bucket by a running sum over the group's 32 buckets,
-- and walks at most one bucket of users.
-- Triggers on users keep it exact whoever writes — the service, a restore, an operator's SQL:
-- inserts and deletes per statement (one grouped upsert, so bulk loads stay fast), updates per
-- row but only when role, active, liveness or list_seq change (a login's UPDATE does not touch
-- it), TRUNCATE empties it. Every write takes its rows in primary-key order, so two
-- transactions cannot deadlock on them. Rows whose count drops to 0 stay. If it ever drifts
-- (triggers disabled during a load), the operations guide shows how to rebuild it.
CREATE TABLE user_list_stats (
    span       integer     NOT NULL,
    bucket     bigint      NOT NULL,
    role       varchar(16) NOT NULL,
    active     boolean     NOT NULL,
    live_users integer     NOT NULL,
    CONSTRAINT user_list_stats_pkey PRIMARY KEY (span, bucket, role, active),
    CONSTRAINT user_list_stats_span_check CHECK (span IN (1024, 32768))
);

INSERT INTO user_list_stats (span, bucket, role, active, live_users)
SELECT spans.span, users.list_seq / spans.span, users.role, users.active, count(*)
  FROM users CROSS JOIN (VALUES (1024), (32768)) AS spans (span)
 WHERE users.deleted_at IS NULL
 GROUP BY 1, 2, 3, 4;

CREATE FUNCTION user_list_stats_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_list_stats AS s (span, bucket, role, active, live_users)
    SELECT spans.span, i.list_seq / spans.span, i.role, i.active, count(*)
      FROM inserted_users AS i CROSS JOIN (VALUES (1024), (32768)) AS spans (span)
     WHERE i.deleted_at IS NULL
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (span, bucket, role, active)
    DO UPDATE SET live_users = s.live_users + excluded.live_users;
    RETURN NULL;
END
$$;

CREATE FUNCTION user_list_stats_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_list_stats AS s (span, bucket, role, active, live_users)
    SELECT spans.span, d.list_seq / spans.span, d.role, d.active, -count(*)
      FROM deleted_users AS d CROSS JOIN (VALUES (1024), (32768)) AS spans (span)
     WHERE d.deleted_at IS NULL
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (span, bucket, role, active)
    DO UPDATE SET live_users = s.live_users + excluded.live_users;
    RETURN NULL;
END
$$;

-- One row changed its list_seq, role, active flag or liveness: -1 where it was counted, +1
-- where it is now, at both spans (one upsert in key order; equal keys cancel out).
CREATE FUNCTION user_list_stats_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_list_stats AS s (span, bucket, role, active, live_users)
    SELECT spans.span, d.list_seq / spans.span, d.role, d.active, sum(d.delta)
      FROM (VALUES (OLD.list_seq, OLD.role, OLD.active,
                    CASE WHEN OLD.deleted_at IS NULL THEN -1 ELSE 0 END),
                   (NEW.list_seq, NEW.role, NEW.active,
                    CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE 0 END))
           AS d (list_seq, role, active, delta)
           CROSS JOIN (VALUES (1024), (32768)) AS spans (span)
     GROUP BY 1, 2, 3, 4
    HAVING sum(d.delta) <> 0
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (span, bucket, role, active)
    DO UPDATE SET live_users = s.live_users + excluded.live_users;
    RETURN NULL;
END
$$;

CREATE FUNCTION user_list_stats_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_list_stats;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_list_stats_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted_users
    FOR EACH STATEMENT EXECUTE FUNCTION user_list_stats_inserted();

CREATE TRIGGER users_list_stats_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS deleted_users
    FOR EACH STATEMENT EXECUTE FUNCTION user_list_stats_deleted();

CREATE TRIGGER users_list_stats_update AFTER UPDATE OF role, active, deleted_at, list_seq ON users
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active
          OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
          OR OLD.list_seq IS DISTINCT FROM NEW.list_seq)
    EXECUTE FUNCTION user_list_stats_updated();

CREATE TRIGGER users_list_stats_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION user_list_stats_truncated();
