"""User persistence (shell): SQLAlchemy Core adapters of the user ports on all three databases.

`SqlUnitOfWork` / `sql_unit_of_work_factory(database)` open one transaction and expose
`SqlUsers`, `SqlSessions`, `SqlAuditLog` and `SqlBackupCodes` on its connection;
`SqlReaders` / `sql_readers_factory(database)` expose the same on a transaction-less
`Database.read()` connection, for reads. The tables in `schema` mirror the SQL files in
`migrations/` and only build queries; the migrations create the schema.
"""

from __future__ import annotations

from boundary.user.shell.persistence.audit import SqlAuditLog
from boundary.user.shell.persistence.backup_codes import SqlBackupCodes
from boundary.user.shell.persistence.schema import (
    UTCDateTime,
    UUIDText,
    audit_events,
    mfa_backup_codes,
    user_sessions,
    users,
)
from boundary.user.shell.persistence.sessions import SqlSessions
from boundary.user.shell.persistence.unit_of_work import (
    Forgetter,
    SqlReaders,
    SqlUnitOfWork,
    sql_readers_factory,
    sql_unit_of_work_factory,
)
from boundary.user.shell.persistence.users import SqlUsers

__all__ = [
    "Forgetter",
    "SqlAuditLog",
    "SqlBackupCodes",
    "SqlReaders",
    "SqlSessions",
    "SqlUnitOfWork",
    "SqlUsers",
    "UTCDateTime",
    "UUIDText",
    "audit_events",
    "mfa_backup_codes",
    "sql_readers_factory",
    "sql_unit_of_work_factory",
    "user_sessions",
    "users",
]
