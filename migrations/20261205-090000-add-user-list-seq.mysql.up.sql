-- list_seq: each user's place in the listing (GET /api/v1/users), an AUTO_INCREMENT handed out
-- at insert time, so the listing is registration order, oldest first. Existing users are
-- numbered in their old listing order (created_at, id); AUTO_INCREMENT then continues after
-- the highest number. user_list_stats (next migration) buckets live users by list_seq DIV
-- 1024, which is what makes totals and deep offsets cheap. Three statements, and DDL here is
-- not transactional: if the third fails, the column exists (nullable, numbered) and this
-- migration is not recorded; drop the column by hand before running it again.
ALTER TABLE users ADD COLUMN list_seq BIGINT NULL;

UPDATE users
  JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM users) AS ordered
    ON users.id = ordered.id
   SET users.list_seq = ordered.n;

-- The unique key is the index AUTO_INCREMENT needs and the one the listing walks; the
-- (role, list_seq) key serves role-filtered listings and replaces users_role_idx.
ALTER TABLE users
    MODIFY list_seq BIGINT NOT NULL AUTO_INCREMENT,
    ADD UNIQUE KEY users_list_seq_key (list_seq),
    ADD KEY users_role_list_idx (role, list_seq),
    DROP KEY users_role_idx;
