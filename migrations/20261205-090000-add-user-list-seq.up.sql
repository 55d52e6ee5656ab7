-- list_seq: each user's place in the listing (GET /api/v1/users), so the listing is
-- registration order, oldest first (portable form: SQLite runs this file, PostgreSQL and MySQL
-- have their own). SQLite has no sequence for a column that is not the primary key: a trigger
-- gives a new row MAX(list_seq) + 1 right after its insert (writes are serialised, so two
-- inserts never get the same number), which is why the column stays nullable. Existing users
-- are numbered in their old listing order (created_at, id). user_list_stats (next migration)
-- buckets live users by list_seq / 1024, which is what makes totals and deep offsets cheap.
-- Needs SQLite 3.33+ (UPDATE … FROM).
ALTER TABLE users ADD COLUMN list_seq INTEGER;

UPDATE users SET list_seq = ordered.n
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM users) AS ordered
 WHERE users.id = ordered.id;

-- The listing walks this index; MAX(list_seq) reads its last entry.
CREATE UNIQUE INDEX users_list_seq_key ON users (list_seq);

CREATE TRIGGER users_list_seq_assign AFTER INSERT ON users
WHEN NEW.list_seq IS NULL
BEGIN
    UPDATE users SET list_seq = (SELECT coalesce(max(list_seq), 0) + 1 FROM users)
     WHERE rowid = NEW.rowid;
END;

-- A role-filtered listing walks only that role's users; it replaces users_role_idx.
CREATE INDEX users_role_list_idx ON users (role, list_seq);
DROP INDEX users_role_idx;

-- Only the old listing order used this one.
DROP INDEX users_live_created_idx;
