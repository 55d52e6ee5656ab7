"""`AuditLog` on SQLAlchemy Core (shell): rows appended in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.kernel.pagination import Page
from boundary.user.core.model import AuditEvent, AuditFilter
from boundary.user.shell.persistence.queries import fetch_page
from boundary.user.shell.persistence.schema import audit_events

EVENT_COLUMNS = tuple(audit_events.c.keys())
_WRITTEN_COLUMNS = tuple(key for key in EVENT_COLUMNS if key != "id")  # the database numbers

_INSERT = insert(audit_events)
_NEWEST_FIRST = (audit_events.c.created_at.desc(), audit_events.c.id.desc())


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
