"""`UnitOfWork` on one pooled connection and one transaction (shell).

Entering takes a connection from the `Database` pool (failing fast with `DatabaseUnavailable`)
and begins a transaction; `commit()` makes it durable; leaving without commit — or with an
exception — rolls everything back, the change and its audit row together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncTransaction

from boundary.db.shell.engine import Database
from boundary.user.ports import AuditLog, Sessions, UnitOfWork, UnitOfWorkFactory, Users
from boundary.user.shell.persistence.audit import SqlAuditLog
from boundary.user.shell.persistence.sessions import SqlSessions
from boundary.user.shell.persistence.users import SqlUsers


class SqlUnitOfWork:
    """`async with SqlUnitOfWork(database) as uow: …; await uow.commit()`."""

    users: Users
    sessions: Sessions
    audit: AuditLog

    def __init__(self, database: Database) -> None:
        self._database = database
        self._scope: AbstractAsyncContextManager[AsyncTransaction] | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        scope = _transaction(self._database)
        self._transaction = await scope.__aenter__()
        self._scope = scope
        conn = self._transaction.connection
        self.users = SqlUsers(conn)
        self.sessions = SqlSessions(conn)
        self.audit = SqlAuditLog(conn)
        return self

    async def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit() outside `async with` of the unit of work")
        await self._transaction.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        scope, self._scope, self._transaction = self._scope, None, None
        if scope is None:
            return None
        return await scope.__aexit__(exc_type, exc, traceback)


@asynccontextmanager
async def _transaction(database: Database) -> AsyncIterator[AsyncTransaction]:
    """A transaction on a pooled connection, rolled back on the way out unless committed."""
    async with database.connect() as conn:
        transaction = await conn.begin()
        try:
            yield transaction
        finally:
            if transaction.is_active:
                await transaction.rollback()


def sql_unit_of_work_factory(database: Database) -> UnitOfWorkFactory:
    """What services call for each use case: a new `SqlUnitOfWork` on `database`."""

    def unit_of_work() -> AbstractAsyncContextManager[UnitOfWork]:
        return SqlUnitOfWork(database)

    return unit_of_work
