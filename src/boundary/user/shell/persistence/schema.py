"""The user tables as SQLAlchemy Core objects (shell), mirroring `migrations/`.

Used to build queries only: the schema itself is created by the SQL migrations, never by
`metadata.create_all`. Two column types hide the dialects' differences:
- `UTCDateTime`: aware UTC datetimes in and out — `timestamptz` on PostgreSQL, `DATETIME(6)`
  holding UTC on MySQL/MariaDB, fixed-width text `YYYY-MM-DD HH:MM:SS.ffffff+00:00` on SQLite
  (text order is time order there, and it compares with SQLite's own `datetime('now')`);
- `UUIDText`: `uuid.UUID` in and out — native `uuid` on PostgreSQL (via `sqlalchemy.Uuid`), the
  canonical 36-character text elsewhere, so ids in the tables read like the ids in JWTs and URLs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import CHAR, TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect; a naive datetime is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: timestamps must be aware")
        utc = value if value.tzinfo is UTC else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.isoformat(sep=" ", timespec="microseconds")
        if dialect.name == "mysql":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value if value.tzinfo is UTC else value.astimezone(UTC)  # type: ignore[no-any-return]


class UUIDText(TypeDecorator[UUID]):
    """`uuid.UUID` on every dialect: native on PostgreSQL, `CHAR(36)` text with dashes elsewhere.

    (`sqlalchemy.Uuid` alone would store 32 hex digits without dashes on MySQL 8 and SQLite but
    a native UUID on MariaDB 10.7+; this keeps one canonical form in the `CHAR(36)` columns.)
    """

    impl = Uuid(as_uuid=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Uuid(as_uuid=True))
        return dialect.type_descriptor(CHAR(36))

    def process_bind_param(self, value: UUID | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> UUID | None:
        if value is None or type(value) is UUID:
            return value
        return UUID(str(value))


Json = JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", UUIDText, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean(create_constraint=False), nullable=False),
    Column("mfa_enabled", Boolean(create_constraint=False), nullable=False),
    Column("mfa_secret", Text),
    Column("mfa_last_step", BigInteger),
    Column("failed_login_count", Integer, nullable=False),
    Column("lockout_until", UTCDateTime),
    Column("login_count", Integer, nullable=False),
    Column("last_login", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),
    Column("email_verified_at", UTCDateTime),
)

EMAIL_UNIQUE_INDEX = "users_email_key"
"""The unique index (MySQL: unique key) on the case-folded email, in every dialect."""

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", UUIDText, primary_key=True),
    Column("user_id", UUIDText, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("ip", String(64)),
    Column("user_agent", Text),
    Column("previous_token_hash", String(128)),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("actor", String(320)),
    Column("actor_role", String(32)),
    Column("email", Text),
    Column("resource", Text),
    Column("action", String(255), nullable=False),
    Column("result", String(64), nullable=False),
    Column("ip", String(64)),
    Column("user_agent", Text),
    Column("correlation_id", String(128)),
    Column("details", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

mfa_backup_codes = Table(
    "mfa_backup_codes",
    metadata,
    Column("id", UUIDText, primary_key=True),
    Column("user_id", UUIDText, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("used_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)
