"""`AuditLog` on SQLAlchemy Core (shell): rows appended in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, case, func, insert, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.kernel.pagination import Page
from boundary.user.core.model import AuditEvent, AuditFilter
from boundary.user.shell.persistence.queries import fetch_page
from boundary.user.shell.persistence.schema import audit_events

EVENT_COLUMNS = tuple(audit_events.c.keys())
_WRITTEN_COLUMNS = tuple(key for key in EVENT_COLUMNS if key != "id")  # the database numbers

_INSERT = insert(audit_events)
_NEWEST_FIRST = (audit_events.c.created_at.desc(), audit_events.c.id.desc())
# Erasure: the address goes from `email`, and from `actor` where a login named no account.
_EMAIL_IS = func.lower(audit_events.c.email) == bindparam("email")
_ACTOR_IS = func.lower(audit_events.c.actor) == bindparam("email")
_PSEUDONYMISE = (
    update(audit_events)
    .where(or_(_EMAIL_IS, _ACTOR_IS))
    .values(
        email=case((_EMAIL_IS, bindparam("pseudonym")), else_=audit_events.c.email),
        actor=case((_ACTOR_IS, bindparam("pseudonym")), else_=audit_events.c.actor),
    )
)


def event_from_row(row: Row[Any]) -> AuditEvent:
    return AuditEvent(**dict(zip(EVENT_COLUMNS, row, strict=True)))


class SqlAuditLog:
    """The `audit_events` table."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, event: AuditEvent) -> None:
        values = {key: getattr(event, key) for key in _WRITTEN_COLUMNS}
        values["details"] = dict(event.details)
        await self._conn.execute(_INSERT, values)

    async def pseudonymise(self, email: str, pseudonym: str) -> int:
        result = await self._conn.execute(
            _PSEUDONYMISE, {"email": email.lower(), "pseudonym": pseudonym}
        )
        return int(result.rowcount)

    async def search(self, where: AuditFilter, *, limit: int, offset: int) -> Page[AuditEvent]:
        conditions = _conditions(where)
        return await fetch_page(
            self._conn,
            audit_events,
            conditions,
            _NEWEST_FIRST,
            event_from_row,
            limit=limit,
            offset=offset,
        )


def _conditions(where: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.event_type is not None:
        conditions.append(audit_events.c.event_type == where.event_type)
    if where.actor is not None:
        conditions.append(audit_events.c.actor == where.actor)
    if where.since is not None:
        conditions.append(audit_events.c.created_at >= where.since)
    return conditions
