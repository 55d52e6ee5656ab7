"""`account_tokens` (and the one `users` column the verification writes) on SQLAlchemy Core
(shell): one `AsyncConnection`, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, MetaData, String, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.account.core import AccountToken, TokenKind
from boundary.user.shell.persistence.schema import UTCDateTime, UUIDText, users

metadata = MetaData()

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("id", UUIDText, primary_key=True),
    Column("user_id", UUIDText, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("email", String(320), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)
t = account_tokens
_COLUMNS = tuple(t.c.keys())


def _token(row: Any) -> AccountToken:
    return AccountToken(**dict(zip(_COLUMNS, row, strict=True)))


async def forget_user(conn: AsyncConnection, user_id: UUID, email: str) -> None:
    """Erasure (a `Forgetter` of the user unit): delete every token issued to the user."""
    await conn.execute(delete(t).where(t.c.user_id == user_id))


class SqlAccountTokens:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: AccountToken) -> None:
        await self._conn.execute(insert(t).values(**{k: getattr(token, k) for k in _COLUMNS}))

    async def recent_count(self, user_id: UUID, kind: TokenKind, since: datetime) -> int:
        """Tokens of `kind` issued to the user since `since` (each was one mail)."""
        count = await self._conn.scalar(
            select(func.count())
            .select_from(t)
            .where(t.c.user_id == user_id, t.c.kind == kind, t.c.created_at > since)
        )
        return int(count or 0)

    async def void_unused(self, user_id: UUID, kind: TokenKind, now: datetime) -> int:
        """Spend every unused token of `kind` of the user (a newer one replaces them)."""
        result = await self._conn.execute(
            update(t)
            .where(t.c.user_id == user_id, t.c.kind == kind, t.c.used_at.is_(None))
            .values(used_at=now)
        )
        return int(result.rowcount or 0)

    async def by_hash(self, token_hash: str, *, lock: bool = False) -> AccountToken | None:
        query = select(*t.c).where(t.c.token_hash == token_hash)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return None if row is None else _token(row)

    async def use(self, token_id: UUID, now: datetime) -> bool:
        """Spend the token; False when a concurrent redemption spent it first."""
        result = await self._conn.execute(
            update(t).where(t.c.id == token_id, t.c.used_at.is_(None)).values(used_at=now)
        )
        return bool(result.rowcount == 1)

    async def mark_email_verified(self, user_id: UUID, email: str, now: datetime) -> bool:
        """Set `users.email_verified_at` while the user's address is still `email`."""
        result = await self._conn.execute(
            update(users)
            .where(users.c.id == user_id, func.lower(users.c.email) == email.lower())
            .values(email_verified_at=now, updated_at=now)
        )
        return bool(result.rowcount == 1)

    async def prune(self, before: datetime) -> int:
        """Delete tokens that expired before `before` (past the hourly window's use)."""
        result = await self._conn.execute(t.delete().where(t.c.expires_at < before))
        return int(result.rowcount or 0)
