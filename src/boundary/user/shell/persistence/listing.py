"""The user listing's queries (shell): totals from `user_list_stats`, pages in `list_seq` order.

Listing order is `users.list_seq`, a number each user gets at insert (an identity, an
AUTO_INCREMENT, or a trigger's MAX + 1 on SQLite): registration order, oldest first.
`user_list_stats` counts the live users per (role, active) in each bucket of `BUCKET`
consecutive list_seq values and, coarser, in each group of `GROUP` values; triggers on
`users` keep it exact (see the migrations `…-add-user-list-seq` and
`…-create-user-list-stats`). Without `q`:

- the total is a SUM over the group rows the role/active filter selects (about 30 per million
  users), never a count over users;
- offset 0 is one statement: the first page, with that SUM as a scalar subquery;
- a deeper offset k is two: a running sum over the group rows finds the group holding the
  k-th matching user, a running sum over that group's 32 bucket rows the bucket, and how many
  matching users come before it; the page then starts at that bucket's first list_seq and
  skips fewer than one bucket's users. (One level of 1,024-value buckets alone meant a
  running sum over ~1,000 rows per million users: 1.2 ms at a million, measured; two levels
  take 0.1-0.4 ms.)

With `q` the total is an exact count of the matches (trigram indexes find them on
PostgreSQL; elsewhere the live users are read), in one statement with the page.

`list_seq` is not a column of `schema.users`: that table lists the `User` entity's columns,
which the row mappers and the sessions join read in order, and the entity has no list_seq.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Row,
    Select,
    String,
    Table,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.kernel.pagination import Page
from boundary.user.core.model import UserFilter
from boundary.user.shell.persistence.queries import LIKE_ESCAPE, contains_pattern
from boundary.user.shell.persistence.schema import users

T = TypeVar("T")
ToEntity = Callable[[Row[Any] | tuple[Any, ...]], T]
"""Maps a row of `schema.users` columns (a Row, or a tuple cut from one) to an entity."""

BUCKET: Final = 1024
"""list_seq values per stats bucket (the span of the fine rows of user_list_stats)."""
GROUP: Final = 32 * BUCKET
"""list_seq values per group of 32 buckets (the span of the coarse rows)."""

MAX_OFFSET: Final = 2**62
"""Offsets beyond any table's size answer alike; clamped so the value fits a BIGINT."""

list_seq: Final = literal_column("list_seq", BigInteger)
"""`users.list_seq`, in statements whose only table with that column is users."""

user_list_stats = Table(
    "user_list_stats",
    MetaData(),
    Column("span", Integer, primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("active", Boolean(create_constraint=False), primary_key=True),
    Column("live_users", Integer, nullable=False),
)
_stats = user_list_stats.c


async def search(
    conn: AsyncConnection,
    where: UserFilter,
    to_entity: ToEntity[T],
    *,
    limit: int,
    offset: int,
) -> Page[T]:
    """Live users matching `where` in list_seq order: `limit` of them after `offset`, and
    how many match in all."""
    offset = min(offset, MAX_OFFSET)
    if where.q:
        return await _search_text(conn, where, to_entity, limit=limit, offset=offset)
    if offset == 0:
        return await _first_page(conn, where, to_entity, limit=limit)
    return await _deep_page(conn, where, to_entity, limit=limit, offset=offset)


def _user_conditions(where: UserFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [users.c.deleted_at.is_(None)]
    if where.role is not None:
        conditions.append(users.c.role == where.role)
    if where.active is not None:
        conditions.append(users.c.active == where.active)
    if where.q:
        pattern = contains_pattern(where.q.lower())
        conditions.append(
            or_(
                func.lower(users.c.email).like(pattern, escape=LIKE_ESCAPE),
                func.lower(users.c.name).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    return conditions


def _stats_conditions(where: UserFilter, span: int) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_stats.span == span]
    if where.role is not None:
        conditions.append(_stats.role == where.role)
    if where.active is not None:
        conditions.append(_stats.active == where.active)
    return conditions


def _total(where: UserFilter) -> Select[tuple[Any]]:
    """SUM of the live users the filter selects (over the coarse rows), 0 when none."""
    summed = func.coalesce(func.sum(_stats.live_users), 0)
    return select(summed).where(*_stats_conditions(where, GROUP))


def _live_per_bucket(where: UserFilter, span: int) -> Select[tuple[int, int]]:
    """(bucket, live users matching) at one span; an int sum keeps the running sums cheap."""
    live = cast(func.sum(_stats.live_users), Integer).label("live")
    return (
        select(_stats.bucket, live).where(*_stats_conditions(where, span)).group_by(_stats.bucket)
    )


async def _first_page(
    conn: AsyncConnection, where: UserFilter, to_entity: ToEntity[T], *, limit: int
) -> Page[T]:
    """Offset 0 in one statement; no row means no live user matches, so the total is 0."""
    total = _total(where).scalar_subquery().label("total")
    page = (
        select(*users.c, total)
        .where(*_user_conditions(where))
        .order_by(list_seq)
        .limit(max(limit, 0))
    )
    rows = (await conn.execute(page)).all()
    if not rows:
        return Page(items=(), total=0 if limit > 0 else await _count_total(conn, where))
    return Page(items=tuple(to_entity(row[:-1]) for row in rows), total=int(rows[0][-1]))


async def _count_total(conn: AsyncConnection, where: UserFilter) -> int:
    return int(await conn.scalar(_total(where)) or 0)


def _bucket_of(where: UserFilter, offset: int) -> Select[tuple[int, int, int]]:
    """(bucket, matching users before it, total) for the bucket holding match number
    `offset` (0-based); no row when there are not that many.

    Two running sums: over the coarse rows to the group, then over that group's buckets."""
    groups = _live_per_bucket(where, GROUP).subquery("per_group")
    group_running = select(
        groups.c.bucket,
        groups.c.live,
        func.sum(groups.c.live).over(order_by=groups.c.bucket).label("upto"),
        func.sum(groups.c.live).over().label("total"),
    ).subquery("group_running")
    group = (
        select(
            group_running.c.bucket,
            (group_running.c.upto - group_running.c.live).label("earlier"),
            group_running.c.total,
        )
        .where(group_running.c.upto > offset)
        .order_by(group_running.c.bucket)
        .limit(1)
        .cte("found_group")
    )
    first, after = group.c.bucket * (GROUP // BUCKET), (group.c.bucket + 1) * (GROUP // BUCKET)
    buckets = (
        _live_per_bucket(where, BUCKET)
        .join_from(user_list_stats, group, and_(_stats.bucket >= first, _stats.bucket < after))
        .subquery("buckets")
    )
    bucket_running = select(
        buckets.c.bucket,
        buckets.c.live,
        func.sum(buckets.c.live).over(order_by=buckets.c.bucket).label("upto"),
    ).subquery("bucket_running")
    upto = group.c.earlier + bucket_running.c.upto
    return (
        select(bucket_running.c.bucket, upto - bucket_running.c.live, group.c.total)
        .join_from(bucket_running, group, true())
        .where(upto > offset)
        .order_by(bucket_running.c.bucket)
        .limit(1)
    )


async def _deep_page(
    conn: AsyncConnection,
    where: UserFilter,
    to_entity: ToEntity[T],
    *,
    limit: int,
    offset: int,
) -> Page[T]:
    found = (await conn.execute(_bucket_of(where, offset))).first()
    if found is None:  # past the end
        return Page(items=(), total=await _count_total(conn, where))
    bucket, before, total = (int(value) for value in found)
    if limit <= 0:
        return Page(items=(), total=total)
    page = (
        select(*users.c)
        .where(*_user_conditions(where), list_seq >= bucket * BUCKET)
        .order_by(list_seq)
        .limit(limit)
        .offset(offset - before)
    )
    rows = await conn.execute(page)
    return Page(items=tuple(to_entity(row) for row in rows), total=total)


async def _search_text(
    conn: AsyncConnection,
    where: UserFilter,
    to_entity: ToEntity[T],
    *,
    limit: int,
    offset: int,
) -> Page[T]:
    """One statement: the matches' list_seq values (a CTE — on PostgreSQL one scan of the
    trigram indexes), counted for the total and sorted for the page's numbers, then the
    page's rows by list_seq. No row means the page is past the end (or nothing matches)."""
    matches = select(list_seq.label("seq")).select_from(users).where(*_user_conditions(where))
    found = matches.cte("matches")
    chosen = (
        select(found.c.seq).order_by(found.c.seq).limit(max(limit, 0)).offset(offset)
    ).subquery("chosen")
    total = select(func.count()).select_from(found).scalar_subquery().label("total")
    page = (
        select(*users.c, total)
        .join_from(users, chosen, list_seq == chosen.c.seq)
        .order_by(list_seq)
    )
    rows = (await conn.execute(page)).all()
    if rows:
        return Page(items=tuple(to_entity(row[:-1]) for row in rows), total=int(rows[0][-1]))
    if offset == 0 and limit > 0:
        return Page(items=(), total=0)
    counted = select(func.count()).select_from(matches.subquery())
    return Page(items=(), total=int(await conn.scalar(counted) or 0))
