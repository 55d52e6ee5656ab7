-- user_list_stats: how many live (deleted_at IS NULL) users there are per role and active flag
-- in each bucket of consecutive list_seq values, at two spans: buckets of 1,024 (bucket =
-- list_seq / 1024) and groups of 32 such buckets (span 32768) — portable form: SQLite runs
-- this file, PostgreSQL and MySQL have their own. The listing's total is a SUM over the
-- span-32768 rows its role/active filter selects, never a count(*) over users. A deep offset
-- finds its group by a running sum over those rows, then its bucket by a running sum over the
-- group's 32 buckets, and walks at most one bucket of users.
-- Triggers on users keep it exact whoever writes — the service, a restore, an operator's SQL —
-- and fire only when role, active, liveness or list_seq change (a login's UPDATE does not touch
-- it). A new row is counted when users_list_seq_assign gives it its list_seq (an UPDATE), or at
-- its insert when it comes with one. Rows whose count drops to 0 stay.
CREATE TABLE user_list_stats (
    span       INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    role       TEXT    NOT NULL,
    active     INTEGER NOT NULL,
    live_users INTEGER NOT NULL,
    CONSTRAINT user_list_stats_pkey PRIMARY KEY (span, bucket, role, active),
    CONSTRAINT user_list_stats_span_check CHECK (span IN (1024, 32768))
) WITHOUT ROWID;

INSERT INTO user_list_stats (span, bucket, role, active, live_users)
SELECT spans.span, users.list_seq / spans.span, users.role, users.active, count(*)
  FROM users CROSS JOIN (SELECT 1024 AS span UNION ALL SELECT 32768) AS spans
 WHERE users.deleted_at IS NULL AND users.list_seq IS NOT NULL
 GROUP BY 1, 2, 3, 4;

CREATE TRIGGER users_list_stats_insert AFTER INSERT ON users
WHEN NEW.deleted_at IS NULL AND NEW.list_seq IS NOT NULL
BEGIN
    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
    VALUES (1024, NEW.list_seq / 1024, NEW.role, NEW.active, 1),
           (32768, NEW.list_seq / 32768, NEW.role, NEW.active, 1)
    ON CONFLICT (span, bucket, role, active) DO UPDATE SET live_users = live_users + 1;
END;

CREATE TRIGGER users_list_stats_delete AFTER DELETE ON users
WHEN OLD.deleted_at IS NULL AND OLD.list_seq IS NOT NULL
BEGIN
    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
    VALUES (1024, OLD.list_seq / 1024, OLD.role, OLD.active, -1),
           (32768, OLD.list_seq / 32768, OLD.role, OLD.active, -1)
    ON CONFLICT (span, bucket, role, active) DO UPDATE SET live_users = live_users - 1;
END;

CREATE TRIGGER users_list_stats_update AFTER UPDATE OF role, active, deleted_at, list_seq
ON users
WHEN OLD.role IS NOT NEW.role
  OR OLD.active IS NOT NEW.active
  OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
  OR OLD.list_seq IS NOT NEW.list_seq
BEGIN
    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
    SELECT spans.span, OLD.list_seq / spans.span, OLD.role, OLD.active, -1
      FROM (SELECT 1024 AS span UNION ALL SELECT 32768) AS spans
     WHERE OLD.deleted_at IS NULL AND OLD.list_seq IS NOT NULL
    ON CONFLICT (span, bucket, role, active) DO UPDATE SET live_users = live_users - 1;
    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
    SELECT spans.span, NEW.list_seq / spans.span, NEW.role, NEW.active, 1
      FROM (SELECT 1024 AS span UNION ALL SELECT 32768) AS spans
     WHERE NEW.deleted_at IS NULL AND NEW.list_seq IS NOT NULL
    ON CONFLICT (span, bucket, role, active) DO UPDATE SET live_users = live_users + 1;
END;
