-- Drops the audit_events table: its indexes go with it.
DROP TABLE audit_events;
