"""`Sessions` on SQLAlchemy Core (shell): one `AsyncConnection`, inside the caller's transaction.

`with_user` runs on every authenticated request: one prepared join, built once at import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.kernel.pagination import Page
from boundary.user.core.model import Session, User
from boundary.user.shell.persistence.queries import fetch_page
from boundary.user.shell.persistence.schema import user_sessions, users
from boundary.user.shell.persistence.users import user_from_row

SESSION_COLUMNS = tuple(user_sessions.c.keys())
_WIDTH = len(SESSION_COLUMNS)

_SELECT = select(*user_sessions.c)
_GET = _SELECT.where(user_sessions.c.id == bindparam("session_id"))
_BY_TOKEN_HASH = _SELECT.where(user_sessions.c.token_hash == bindparam("token_hash"))
_BY_PREVIOUS_TOKEN_HASH = _SELECT.where(
    user_sessions.c.previous_token_hash == bindparam("token_hash")
)
_WITH_USER = (
    select(*user_sessions.c, *users.c)
    .join_from(user_sessions, users, user_sessions.c.user_id == users.c.id)
    .where(user_sessions.c.id == bindparam("session_id"))
)
_INSERT = insert(user_sessions)
_UPDATE = update(user_sessions).where(user_sessions.c.id == bindparam("target_id"))
# Compare and set: of two refreshes with the same token, the second finds the row changed (on
# PostgreSQL and InnoDB it waits for the first's row lock, then re-reads the row) and matches
# nothing.
_REPLACE_TOKEN = (
    update(user_sessions)
    .where(
        user_sessions.c.id == bindparam("target_id"),
        user_sessions.c.token_hash == bindparam("replaced"),
        user_sessions.c.revoked_at.is_(None),
    )
    .values(
        token_hash=bindparam("new_hash"),
        previous_token_hash=bindparam("replaced"),
        last_seen_at=bindparam("seen"),
    )
)
_REVOKE = (
    update(user_sessions)
    .where(user_sessions.c.user_id == bindparam("owner"), user_sessions.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
_REVOKE_ALL_BUT = _REVOKE.where(user_sessions.c.id != bindparam("keep"))
_DELETE_FOR_USER = delete(user_sessions).where(user_sessions.c.user_id == bindparam("owner"))
_COUNT_LIVE = (
    select(func.count())
    .select_from(user_sessions)
    .where(user_sessions.c.expires_at > bindparam("now"), user_sessions.c.revoked_at.is_(None))
)
_NEWEST_FIRST = (user_sessions.c.created_at.desc(), user_sessions.c.id.desc())


def session_from_row(row: Row[Any] | tuple[Any, ...]) -> Session:
    """A `Session` from the values of `SESSION_COLUMNS`, in that order."""
    return Session(**dict(zip(SESSION_COLUMNS, row, strict=True)))


class SqlSessions:
    """Sessions in the `user_sessions` table; the ids of users whose sessions it changes go
    into `changed` (see `SqlUsers`)."""

    def __init__(self, conn: AsyncConnection, changed: set[UUID] | None = None) -> None:
        self._conn = conn
        self._changed = set() if changed is None else changed

    async def add(self, session: Session) -> None:
        await self._conn.execute(_INSERT, {key: getattr(session, key) for key in SESSION_COLUMNS})

    async def get(self, session_id: UUID) -> Session | None:
        row = (await self._conn.execute(_GET, {"session_id": session_id})).first()
        return None if row is None else session_from_row(row)

    async def by_token_hash(self, token_hash: str) -> Session | None:
        row = (await self._conn.execute(_BY_TOKEN_HASH, {"token_hash": token_hash})).first()
        return None if row is None else session_from_row(row)

    async def by_previous_token_hash(self, token_hash: str) -> Session | None:
        params = {"token_hash": token_hash}
        row = (await self._conn.execute(_BY_PREVIOUS_TOKEN_HASH, params)).first()
        return None if row is None else session_from_row(row)

    async def replace_token(self, rotated: Session) -> bool:
        if rotated.previous_token_hash is None:
            raise ValueError("replace_token needs a rotated session (sessions.rotate)")
        self._changed.add(rotated.user_id)
        params = {
            "target_id": rotated.id,
            "replaced": rotated.previous_token_hash,
            "new_hash": rotated.token_hash,
            "seen": rotated.last_seen_at,
        }
        result = await self._conn.execute(_REPLACE_TOKEN, params)
        return result.rowcount == 1

    async def with_user(self, session_id: UUID) -> tuple[Session, User] | None:
        row = (await self._conn.execute(_WITH_USER, {"session_id": session_id})).first()
        if row is None:
            return None
        return session_from_row(row[:_WIDTH]), user_from_row(row[_WIDTH:])

    async def save(self, session: Session) -> None:
        self._changed.add(session.user_id)
        await self._conn.execute(
            _UPDATE,
            {
                "target_id": session.id,
                "last_seen_at": session.last_seen_at,
                "expires_at": session.expires_at,
                "revoked_at": session.revoked_at,
            },
        )

    async def revoke_for_user(
        self, user_id: UUID, now: datetime, *, keep: UUID | None = None
    ) -> int:
        self._changed.add(user_id)
        if keep is None:
            result = await self._conn.execute(_REVOKE, {"owner": user_id, "now": now})
        else:
            params = {"owner": user_id, "now": now, "keep": keep}
            result = await self._conn.execute(_REVOKE_ALL_BUT, params)
        return result.rowcount

    async def delete_for_user(self, user_id: UUID) -> int:
        self._changed.add(user_id)
        result = await self._conn.execute(_DELETE_FOR_USER, {"owner": user_id})
        return int(result.rowcount)

    async def for_user(self, user_id: UUID, *, limit: int, offset: int) -> Page[Session]:
        mine = [user_sessions.c.user_id == user_id]
        return await fetch_page(
            self._conn,
            user_sessions,
            mine,
            _NEWEST_FIRST,
            session_from_row,
            limit=limit,
            offset=offset,
        )

    async def count_live(self, now: datetime) -> int:
        return await self._conn.scalar(_COUNT_LIVE, {"now": now}) or 0

    async def live(self, now: datetime, *, limit: int, offset: int) -> Page[Session]:
        alive = [user_sessions.c.expires_at > now, user_sessions.c.revoked_at.is_(None)]
        return await fetch_page(
            self._conn,
            user_sessions,
            alive,
            _NEWEST_FIRST,
            session_from_row,
            limit=limit,
            offset=offset,
        )
