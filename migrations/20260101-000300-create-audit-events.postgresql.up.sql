-- audit_events: append-only audit log, written in the same transaction as the change it
-- records. Columns that may carry client-supplied values of any length (email, resource,
-- user_agent) are unbounded text so an audit row never fails on length.
CREATE TABLE audit_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_type     varchar(64)  NOT NULL,
    actor          varchar(320),
    actor_role     varchar(32),
    email          text,
    resource       text,
    action         varchar(255) NOT NULL,
    result         varchar(64)  NOT NULL,
    ip             varchar(64),
    user_agent     text,
    correlation_id varchar(128),
    details        jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz  NOT NULL
);

-- The audit listing (newest first) and the operations guide's queries:
-- failed logins by event_type and time, admin actions by actor_role and time.
CREATE INDEX audit_events_created_at_idx ON audit_events (created_at);
CREATE INDEX audit_events_event_type_idx ON audit_events (event_type, created_at);
CREATE INDEX audit_events_actor_role_idx ON audit_events (actor_role, created_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, created_at);
