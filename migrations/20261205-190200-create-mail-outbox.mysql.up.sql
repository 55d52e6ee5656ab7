-- mail_outbox: every mail Boundary sends, written in the same transaction as the token it
-- carries and delivered by a background sender (one statement: DDL here is not transactional).
-- status: pending (to send; next_attempt_at says when), sent, failed (given up). A sender
-- claims a row by setting lease_until; an expired lease (a crashed sender) makes the row
-- claimable again. The bodies hold the link, so they are erased once the row is sent; sent
-- rows are pruned after the retention period. Failed rows keep theirs until an operator
-- retries or purges them.
CREATE TABLE mail_outbox (
    id              CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    kind            VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    recipient       VARCHAR(320) NOT NULL,
    subject         VARCHAR(255) NOT NULL,
    body_text       MEDIUMTEXT NOT NULL,
    body_html       MEDIUMTEXT NOT NULL,
    status          VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    lease_until     DATETIME(6) NULL,
    last_error      TEXT NULL,
    created_at      DATETIME(6) NOT NULL,
    sent_at         DATETIME(6) NULL,
    PRIMARY KEY (id),
    KEY mail_outbox_due_idx (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
