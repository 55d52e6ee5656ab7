-- mail_outbox: every mail Boundary sends, written in the same transaction as the token it
-- carries and delivered by a background sender. status: pending (to send; next_attempt_at says
-- when), sent, failed (given up). A sender claims a row by setting lease_until; an expired
-- lease (a crashed sender) makes the row claimable again. The bodies hold the link, so they
-- are erased once the row is sent; sent rows are pruned after the retention period. Failed
-- rows keep theirs until an operator retries or purges them.
CREATE TABLE mail_outbox (
    id              uuid         NOT NULL PRIMARY KEY,
    kind            varchar(32)  NOT NULL,
    recipient       varchar(320) NOT NULL,
    subject         varchar(255) NOT NULL,
    body_text       text         NOT NULL,
    body_html       text         NOT NULL,
    status          varchar(16)  NOT NULL,
    attempts        integer      NOT NULL DEFAULT 0,
    next_attempt_at timestamptz  NOT NULL,
    lease_until     timestamptz,
    last_error      text,
    created_at      timestamptz  NOT NULL,
    sent_at         timestamptz
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (status, next_attempt_at);
