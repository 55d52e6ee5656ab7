"""User persistence (shell): SQLAlchemy Core adapters of the user ports on all three databases.

`SqlUnitOfWork` / `sql_unit_of_work_factory(database)` open one transaction and expose
`SqlUsers`, `SqlSessions` and `SqlAuditLog` on its connection. The tables in `schema` mirror
the SQL files in `migrations/` and only build queries; the migrations create the schema.
"""

from __future__ import annotations

from boundary.user.shell.persistence.audit import SqlAuditLog
from boundary.user.shell.persistence.schema import (
    UTCDateTime,
    UUIDText,
    audit_events,
    user_sessions,
    users,
)
from boundary.user.shell.persistence.sessions import SqlSessions
from boundary.user.shell.persistence.unit_of_work import SqlUnitOfWork, sql_unit_of_work_factory
from boundary.user.shell.persistence.users import SqlUsers

__all__ = [
    "SqlAuditLog",
    "SqlSessions",
    "SqlUnitOfWork",
    "SqlUsers",
    "UTCDateTime",
    "UUIDText",
    "audit_events",
    "sql_unit_of_work_factory",
    "user_sessions",
    "users",
]
