"""Query helpers shared by the user repositories (shell): paging and LIKE patterns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.kernel.pagination import Page

T = TypeVar("T")

LIKE_ESCAPE = "/"


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `/`) matching `text` anywhere, `%` and `_` literal."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


async def fetch_page(
    conn: AsyncConnection,
    table: Table,
    conditions: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    to_entity: Callable[[Row[Any]], T],
    *,
    limit: int,
    offset: int,
) -> Page[T]:
    """One page of `table`'s rows matching `conditions` in `order_by` order, and how many
    match in all. The page query is skipped when the offset is past the end."""
    counted = select(func.count()).select_from(table).where(*conditions)
    total = await conn.scalar(counted) or 0
    if total <= offset or limit <= 0:
        return Page(items=(), total=total)
    page = select(*table.c).where(*conditions).order_by(*order_by).limit(limit).offset(offset)
    return Page(items=tuple(to_entity(row) for row in await conn.execute(page)), total=total)
