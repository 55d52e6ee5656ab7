-- audit_events: append-only audit log (one statement: DDL here is not transactional), written in
-- the same transaction as the change it records. Timestamps are DATETIME(6) holding UTC.
-- Columns that may carry client-supplied values of any length (email, resource, user_agent)
-- are TEXT so an audit row never fails on length.
CREATE TABLE audit_events (
    id             BIGINT NOT NULL AUTO_INCREMENT,
    event_type     VARCHAR(64) NOT NULL,
    actor          VARCHAR(320) NULL,
    actor_role     VARCHAR(32) NULL,
    email          TEXT NULL,
    resource       TEXT NULL,
    action         VARCHAR(255) NOT NULL,
    result         VARCHAR(64) NOT NULL,
    ip             VARCHAR(64) NULL,
    user_agent     TEXT NULL,
    correlation_id VARCHAR(128) NULL,
    details        JSON NOT NULL,
    created_at     DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY audit_events_created_at_idx (created_at),
    KEY audit_events_event_type_idx (event_type, created_at),
    KEY audit_events_actor_role_idx (actor_role, created_at),
    KEY audit_events_actor_idx (actor, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
