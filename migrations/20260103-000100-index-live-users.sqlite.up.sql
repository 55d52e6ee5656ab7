-- Live users in list order: GET /api/v1/users pages with an index scan and counts with an
-- index-only scan instead of scanning and sorting the whole table.
CREATE INDEX users_live_created_idx ON users (created_at, id) WHERE deleted_at IS NULL;
