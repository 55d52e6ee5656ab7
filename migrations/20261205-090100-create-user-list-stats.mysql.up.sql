-- user_list_stats: how many live (deleted_at IS NULL) users there are per role and active flag
-- in each bucket of consecutive list_seq values, at two spans: buckets of 1,024 (bucket =
-- list_seq DIV 1024) and groups of 32 such buckets (span 32768). The listing's total is a SUM
-- over the span-32768 rows its role/active filter selects (about 30 per million users), never
-- a COUNT(*) over users. A deep offset finds its group by a running sum over those rows, then
-- its bucket by a running sum over the group's 32 buckets, and walks at most one bucket.
-- Row triggers on users keep it exact whoever writes — the service, a restore, an operator's
-- SQL. The update trigger runs for every UPDATE (MySQL has no WHEN clause) but writes only when
-- role, active, liveness or list_seq changed, so a login's UPDATE does not touch the table.
-- Each trigger writes its rows in primary-key order (span first, then the two keys of a span
-- in order), so two transactions cannot deadlock on them. Rows whose count drops to 0 stay. If
-- it ever drifts (a load with triggers off), the operations guide shows how to rebuild it.
-- Several statements, and DDL here is not transactional: after a failure, drop what was
-- created (the table, the triggers users_list_stats_*) before running it again.
CREATE TABLE user_list_stats (
    span       INT NOT NULL,
    bucket     BIGINT NOT NULL,
    role       VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    active     BOOLEAN NOT NULL,
    live_users INT NOT NULL,
    PRIMARY KEY (span, bucket, role, active),
    CONSTRAINT user_list_stats_span_check CHECK (span IN (1024, 32768))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO user_list_stats (span, bucket, role, active, live_users)
SELECT spans.span, users.list_seq DIV spans.span, users.role, users.active, COUNT(*)
  FROM users CROSS JOIN (SELECT 1024 AS span UNION ALL SELECT 32768) AS spans
 WHERE users.deleted_at IS NULL
 GROUP BY spans.span, users.list_seq DIV spans.span, users.role, users.active;

CREATE TRIGGER users_list_stats_insert AFTER INSERT ON users FOR EACH ROW
BEGIN
    IF NEW.deleted_at IS NULL THEN
        INSERT INTO user_list_stats (span, bucket, role, active, live_users)
        VALUES (1024, NEW.list_seq DIV 1024, NEW.role, NEW.active, 1),
               (32768, NEW.list_seq DIV 32768, NEW.role, NEW.active, 1)
        ON DUPLICATE KEY UPDATE live_users = live_users + 1;
    END IF;
END;

CREATE TRIGGER users_list_stats_delete AFTER DELETE ON users FOR EACH ROW
BEGIN
    IF OLD.deleted_at IS NULL THEN
        INSERT INTO user_list_stats (span, bucket, role, active, live_users)
        VALUES (1024, OLD.list_seq DIV 1024, OLD.role, OLD.active, -1),
               (32768, OLD.list_seq DIV 32768, OLD.role, OLD.active, -1)
        ON DUPLICATE KEY UPDATE live_users = live_users - 1;
    END IF;
END;

CREATE TRIGGER users_list_stats_update AFTER UPDATE ON users FOR EACH ROW
BEGIN
    DECLARE width INT DEFAULT 1024;
    DECLARE was_live BOOLEAN DEFAULT OLD.deleted_at IS NULL;
    DECLARE is_live BOOLEAN DEFAULT NEW.deleted_at IS NULL;
    IF NOT (OLD.role <=> NEW.role AND OLD.active <=> NEW.active AND was_live = is_live
            AND OLD.list_seq <=> NEW.list_seq) THEN
        WHILE width <= 32768 DO
            IF (OLD.list_seq DIV width, OLD.role, OLD.active)
               <= (NEW.list_seq DIV width, NEW.role, NEW.active) THEN
                IF was_live THEN
                    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
                    VALUES (width, OLD.list_seq DIV width, OLD.role, OLD.active, -1)
                    ON DUPLICATE KEY UPDATE live_users = live_users - 1;
                END IF;
                IF is_live THEN
                    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
                    VALUES (width, NEW.list_seq DIV width, NEW.role, NEW.active, 1)
                    ON DUPLICATE KEY UPDATE live_users = live_users + 1;
                END IF;
            ELSE
                IF is_live THEN
                    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
                    VALUES (width, NEW.list_seq DIV width, NEW.role, NEW.active, 1)
                    ON DUPLICATE KEY UPDATE live_users = live_users + 1;
                END IF;
                IF was_live THEN
                    INSERT INTO user_list_stats (span, bucket, role, active, live_users)
                    VALUES (width, OLD.list_seq DIV width, OLD.role, OLD.active, -1)
                    ON DUPLICATE KEY UPDATE live_users = live_users - 1;
                END IF;
            END IF;
            SET width = width * 32;
        END WHILE;
    END IF;
END;
