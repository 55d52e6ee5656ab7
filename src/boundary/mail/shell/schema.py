"""The `mail_outbox` table as a SQLAlchemy Core object (shell), mirroring `migrations/`."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from boundary.user.shell.persistence.schema import UTCDateTime, UUIDText

metadata = MetaData()

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", UUIDText, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
)
