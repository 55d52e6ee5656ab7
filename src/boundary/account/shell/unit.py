"""The account unit of work (shell, the adapter of `account.ports`): the user repositories
plus `tokens` and `outbox` on the same connection and transaction, so a token, its mail and
the audit row commit together."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.account.ports import AccountTokens, AccountUnit, AccountUnitFactory, Mailbox
from boundary.account.shell.tokens import SqlAccountTokens
from boundary.db.shell.engine import Database
from boundary.mail.core import Message
from boundary.mail.shell import outbox
from boundary.user.shell.persistence.unit_of_work import ChangedUsers, SqlUnitOfWork


class SqlMailbox:
    """Queue mail on the unit's connection (the outbox row commits with the unit)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enqueue(self, *, id: UUID, message: Message, now: datetime) -> None:
        await outbox.enqueue(self._conn, id=id, message=message, now=now)


class SqlAccountUnit(SqlUnitOfWork):
    tokens: AccountTokens
    mail: Mailbox

    def _bind(self, conn: AsyncConnection, changed: set[UUID] | None = None) -> None:
        super()._bind(conn, changed)
        self.tokens = SqlAccountTokens(conn)
        self.mail = SqlMailbox(conn)


def account_unit_factory(
    database: Database, on_commit: ChangedUsers | None = None
) -> AccountUnitFactory:
    def unit() -> AbstractAsyncContextManager[AccountUnit]:
        return SqlAccountUnit(database, on_commit)

    return unit
