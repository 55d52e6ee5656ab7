-- audit_events: append-only audit log (portable form: SQLite runs this file), written in the
-- same transaction as the change it records. details is a JSON object as text. Timestamps are
-- UTC ISO-8601 text as in users. Columns that may carry client-supplied values of any length
-- (email, resource, user_agent) are unbounded so an audit row never fails on length.
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type     TEXT NOT NULL,
    actor          TEXT,
    actor_role     TEXT,
    email          TEXT,
    resource       TEXT,
    action         TEXT NOT NULL,
    result         TEXT NOT NULL,
    ip             TEXT,
    user_agent     TEXT,
    correlation_id TEXT,
    details        TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL
);

-- The audit listing (newest first) and the operations guide's queries.
CREATE INDEX audit_events_created_at_idx ON audit_events (created_at);
CREATE INDEX audit_events_event_type_idx ON audit_events (event_type, created_at);
CREATE INDEX audit_events_actor_role_idx ON audit_events (actor_role, created_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, created_at);
