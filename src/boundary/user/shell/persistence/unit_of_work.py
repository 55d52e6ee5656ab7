"""`UnitOfWork` on one pooled connection and one transaction, and `Readers` on one pooled
connection outside any transaction (shell).

Entering a unit takes a connection from the `Database` pool (failing fast with
`DatabaseUnavailable`) and begins a transaction; `commit()` makes it durable; leaving without
commit — or with an exception — rolls everything back, the change and its audit row together.

Entering readers takes a connection from `Database.read()`: the same repositories, no
BEGIN/COMMIT of their own, each statement seeing what is committed when it runs. Readers
never write (on PostgreSQL a write there would commit at once), and never open while the same
task holds a unit of work: that takes two pooled connections at once, and on SQLite — whose
engine begins reads with BEGIN IMMEDIATE too — it waits for the unit to end: in the same task
that is "database is locked" after the busy timeout, or a deadlock on `:memory:`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence, Set
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from boundary.db.shell.engine import Database
from boundary.user.ports import (
    AuditLog,
    BackupCodes,
    Readers,
    ReadersFactory,
    Sessions,
    UnitOfWork,
    UnitOfWorkFactory,
    Users,
)
from boundary.user.shell.persistence.audit import SqlAuditLog
from boundary.user.shell.persistence.backup_codes import SqlBackupCodes
from boundary.user.shell.persistence.sessions import SqlSessions
from boundary.user.shell.persistence.users import SqlUsers

ChangedUsers = Callable[[Set[UUID]], None]
"""Told, right after a commit, which users (or whose sessions) the unit changed."""
Forgetter = Callable[[AsyncConnection, UUID, str], Awaitable[object]]
"""Deletes what one other module keeps about a person (by user id and email), on the unit's
connection; the composition root hands these in, so this package imports no other module."""


class _Repositories:
    """The four user repositories, all on one connection."""

    users: Users
    sessions: Sessions
    audit: AuditLog
    backup_codes: BackupCodes

    def _bind(self, conn: AsyncConnection, changed: set[UUID] | None = None) -> None:
        self.users = SqlUsers(conn, changed)
        self.sessions = SqlSessions(conn, changed)
        self.audit = SqlAuditLog(conn)
        self.backup_codes = SqlBackupCodes(conn)


class SqlUnitOfWork(_Repositories):
    """`async with SqlUnitOfWork(database) as uow: …; await uow.commit()`."""

    def __init__(
        self,
        database: Database,
        on_commit: ChangedUsers | None = None,
        forgetters: Sequence[Forgetter] = (),
    ) -> None:
        self._database = database
        self._on_commit = on_commit
        self._forgetters = forgetters
        self._changed: set[UUID] = set()
        self._scope: AbstractAsyncContextManager[AsyncTransaction] | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        scope = _transaction(self._database)
        self._transaction = await scope.__aenter__()
        self._scope = scope
        self._bind(self._transaction.connection, self._changed)
        return self

    async def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit() outside `async with` of the unit of work")
        await self._transaction.commit()
        if self._changed and self._on_commit is not None:
            self._on_commit(frozenset(self._changed))
        self._changed.clear()

    async def forget_elsewhere(self, user_id: UUID, email: str) -> None:
        if self._transaction is None:
            raise RuntimeError("forget_elsewhere() outside `async with` of the unit of work")
        for forget in self._forgetters:
            await forget(self._transaction.connection, user_id, email)

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


def sql_unit_of_work_factory(
    database: Database,
    on_commit: ChangedUsers | None = None,
    forgetters: Sequence[Forgetter] = (),
) -> UnitOfWorkFactory:
    """What services call for each use case: a new `SqlUnitOfWork` on `database`;
    `on_commit` hears which users each committed unit changed; `forgetters` are what
    `forget_elsewhere` runs."""

    def unit_of_work() -> AbstractAsyncContextManager[UnitOfWork]:
        return SqlUnitOfWork(database, on_commit, forgetters)

    return unit_of_work


class SqlReaders(_Repositories):
    """`async with SqlReaders(database) as read: await read.sessions.with_user(…)`."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._scope: AbstractAsyncContextManager[AsyncConnection] | None = None

    async def __aenter__(self) -> Self:
        scope = self._database.read()
        self._bind(await scope.__aenter__())
        self._scope = scope
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        scope, self._scope = self._scope, None
        if scope is None:
            return None
        return await scope.__aexit__(exc_type, exc, traceback)


def sql_readers_factory(database: Database) -> ReadersFactory:
    """What services call for transaction-less reads: a new `SqlReaders` on `database`."""

    def readers() -> AbstractAsyncContextManager[Readers]:
        return SqlReaders(database)

    return readers
