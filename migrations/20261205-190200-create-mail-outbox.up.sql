-- mail_outbox: every mail Boundary sends, written in the same transaction as the token it
-- carries and delivered by a background sender (portable form: SQLite runs this file). status:
-- pending (to send; next_attempt_at says when), sent, failed (given up). A sender claims a row
-- by setting lease_until; an expired lease (a crashed sender) makes the row claimable again.
-- The bodies hold the link, so they are erased once the row is sent; sent rows are pruned
-- after the retention period. Failed rows keep theirs until an operator retries or purges
-- them.
CREATE TABLE mail_outbox (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (status, next_attempt_at);
