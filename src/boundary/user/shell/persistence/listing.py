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
PostgreSQL; elsewhere the live users are read), in one statement with the page. Counting
reads every match, so a process keeps the counts while its `SearchTotals` is on (see
`search_totals`: never stale), and with them in hand reads the page:

- by walking list_seq order (the role/active filter's users, the q filter on each) when an
  even spread of the matches puts the page's end within as many users as there are matches:
  a term matching 1% of a million users has its first page after ~2,000 users (3 ms), where
  finding all 10,000 matches takes 30 ms (measured, EXPLAIN ANALYZE: a walked user costs about
  a third of a found match). The walk reads at most twice the spread's estimate (plus a
  margin); matches bunched later than that make it come back short, and the page is then
  read as below. Which users a walked page holds is kept too: the same page again reads
  just those users' rows, fresh, by list_seq (a change that could move them invalidates);
- else as without the cache: the matches found, counted and sorted (a rare term's matches
  are few; counting them once found costs little).

`list_seq` is not a column of `schema.users`: that table lists the `User` entity's columns,
which the row mappers and the sessions join read in order, and the entity has no list_seq.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, TypeVar

from sqlalchemy import (
    ARRAY,
    BigInteger,
    BindParameter,
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
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.db.shell.prepared import Prepared
from boundary.kernel.pagination import Page
from boundary.user.core.model import UserFilter
from boundary.user.shell.persistence.queries import LIKE_ESCAPE, contains_pattern
from boundary.user.shell.persistence.schema import users
from boundary.user.shell.search_totals import SearchTotals

T = TypeVar("T")
ToEntity = Callable[[Row[Any] | tuple[Any, ...]], T]
"""Maps a row of `schema.users` columns (a Row, or a tuple cut from one) to an entity."""

BUCKET: Final = 1024
"""list_seq values per stats bucket (the span of the fine rows of user_list_stats)."""
GROUP: Final = 32 * BUCKET
"""list_seq values per group of 32 buckets (the span of the coarse rows)."""

WALK_MARGIN: Final = 1000
"""Users a q search's walk reads beyond twice the even-spread estimate (see `_text_search`)."""

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
    totals: SearchTotals | None = None,
) -> Page[T]:
    """Live users matching `where` in list_seq order: `limit` of them after `offset`, and
    how many match in all. `totals` keeps q searches' totals between calls while it is on
    (only for reads outside a transaction, which see nothing uncommitted)."""
    statements = _statements(where.role is not None, where.active is not None, bool(where.q))
    values: dict[str, Any] = {
        "role": where.role,
        "active": where.active,
        "page_limit": max(limit, 0),
        "page_offset": min(offset, MAX_OFFSET),
    }
    if where.q:
        values["pattern"] = contains_pattern(where.q.lower())
        if totals is None or not totals.enabled:
            return await _with_total(
                conn, statements.text_page, statements.count, values, to_entity
            )
        return await _text_search(conn, statements, values, to_entity, totals, where)
    if offset == 0:
        return await _with_total(conn, statements.first_page, statements.count, values, to_entity)
    return await _deep_page(conn, statements, values, to_entity)


async def _text_search(
    conn: AsyncConnection,
    statements: _Statements,
    values: dict[str, Any],
    to_entity: ToEntity[T],
    totals: SearchTotals,
    where: UserFilter,
) -> Page[T]:
    """A q search with the totals cache on. With the counts in hand and matches common
    enough, the page is read by walking list_seq order; otherwise as without the cache, the
    matches found, counted and sorted (counting them costs little once they are found), and
    the counts kept unless something changed meanwhile."""
    key = (str(where.q).lower(), where.role, where.active)
    counts = totals.get(key)
    if counts is not None:
        total, live = counts
        offset, limit = values["page_offset"], values["page_limit"]
        if total == 0 or limit == 0 or offset >= total:
            return Page(items=(), total=total)
        expected = (offset + limit) * live // total  # users walked to the page's end
        if expected <= total:
            page_key = (key, limit, offset)
            seqs = totals.page(page_key)
            if seqs is not None:  # who is on the page is known: read them (fresh rows)
                rows = await statements.page_of.rows(conn, {"seqs": list(seqs)})
                return Page(items=tuple(to_entity(row) for row in rows), total=total)
            generation = totals.generation  # before the walk: a change during it wins
            scan = 2 * expected + WALK_MARGIN
            rows = await statements.walk_page.rows(conn, {**values, "scan_limit": scan})
            if len(rows) == min(limit, total - offset) or scan >= live:
                totals.put_page(page_key, tuple(int(row[-1]) for row in rows), generation)
                return Page(items=tuple(to_entity(row[:-1]) for row in rows), total=total)
            # The matches are bunched later in the listing than an even spread puts them.
    generation = totals.generation  # before counting: a change during it wins
    page = await _with_total(conn, statements.text_page, statements.count, values, to_entity)
    if counts is None:
        live = int(await conn.scalar(statements.live, values) or 0)
        totals.put(key, (page.total, live), generation)
    return page


@dataclass(frozen=True, slots=True)
class _Statements:
    """The listing's statements for one shape of filter, values left as bind parameters
    (`role`, `active`, `pattern`, `page_limit`, `page_offset`, `start`): built and compiled
    once, not per request — building them cost more than running them."""

    first_page: Prepared
    text_page: Prepared
    walk_page: Prepared
    page_of: Prepared
    count: Select[Any]
    live: Select[Any]
    bucket_of: Prepared
    deep_page: Prepared


@cache
def _statements(role: bool, active: bool, text: bool) -> _Statements:
    user_conditions = _user_conditions(role=role, active=active, text=text)
    page_limit = bindparam("page_limit", type_=Integer)
    page_offset = bindparam("page_offset", type_=BigInteger)
    total = _total(role=role, active=active)
    matches = select(list_seq.label("seq")).select_from(users).where(*user_conditions)
    return _Statements(
        first_page=Prepared(
            select(*users.c, total.scalar_subquery().label("total"))
            .where(*user_conditions)
            .order_by(list_seq)
            .limit(page_limit)
        ),
        text_page=Prepared(_text_page(matches, page_limit, page_offset)),
        walk_page=Prepared(
            _walk_page(role=role, active=active, limit=page_limit, offset=page_offset)
        ),
        page_of=Prepared(
            select(*users.c)
            .where(
                list_seq == any_(bindparam("seqs", type_=ARRAY(BigInteger))),
                users.c.deleted_at.is_(None),
            )
            .order_by(list_seq)
        ),
        count=select(func.count()).select_from(matches.subquery()) if text else total,
        live=total,
        bucket_of=Prepared(_bucket_of(role=role, active=active, offset=page_offset)),
        deep_page=Prepared(
            select(*users.c)
            .where(*user_conditions, list_seq >= bindparam("start", type_=BigInteger))
            .order_by(list_seq)
            .limit(page_limit)
            .offset(page_offset)
        ),
    )


def _user_conditions(*, role: bool, active: bool, text: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [users.c.deleted_at.is_(None)]
    if role:
        conditions.append(users.c.role == bindparam("role"))
    if active:
        conditions.append(users.c.active == bindparam("active"))
    if text:
        conditions.append(_text_condition(users.c.email, users.c.name))
    return conditions


def _text_condition(email: ColumnElement[str], name: ColumnElement[str]) -> ColumnElement[bool]:
    pattern = bindparam("pattern", type_=String)
    return or_(
        func.lower(email).like(pattern, escape=LIKE_ESCAPE),
        func.lower(name).like(pattern, escape=LIKE_ESCAPE),
    )


def _walk_page(
    *, role: bool, active: bool, limit: BindParameter[int], offset: BindParameter[int]
) -> Select[Any]:
    """A q search's page read by walking list_seq order: the first `scan_limit` users the
    role/active filter selects (the list_seq index, in order), then the q filter on those;
    each row ends with its list_seq.
    The LIMIT inside keeps PostgreSQL from finding the matches through the trigram indexes,
    which its estimates would pick (they take a broad term for a rare one), reading them all."""
    walked = (
        select(*users.c, list_seq.label("seq"))
        .where(*_user_conditions(role=role, active=active, text=False))
        .order_by(list_seq)
        .limit(bindparam("scan_limit", type_=BigInteger))
        .subquery("walked")
    )
    return (
        select(*(walked.c[column.key] for column in users.c), walked.c.seq)
        .where(_text_condition(walked.c.email, walked.c.name))
        .order_by(walked.c.seq)
        .limit(limit)
        .offset(offset)
    )


def _stats_conditions(*, span: int, role: bool, active: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_stats.span == span]
    if role:
        conditions.append(_stats.role == bindparam("role"))
    if active:
        conditions.append(_stats.active == bindparam("active"))
    return conditions


def _total(*, role: bool, active: bool) -> Select[tuple[int]]:
    """SUM of the live users the filter selects (over the coarse rows), 0 when none."""
    summed = func.coalesce(func.sum(_stats.live_users), 0)
    return select(summed).where(*_stats_conditions(span=GROUP, role=role, active=active))


def _live_per_bucket(*, span: int, role: bool, active: bool) -> Select[tuple[int, int]]:
    """(bucket, live users matching) at one span; an int sum keeps the running sums cheap."""
    live = cast(func.sum(_stats.live_users), Integer).label("live")
    conditions = _stats_conditions(span=span, role=role, active=active)
    return select(_stats.bucket, live).where(*conditions).group_by(_stats.bucket)


def _bucket_of(
    *, role: bool, active: bool, offset: BindParameter[int]
) -> Select[tuple[int, int, int]]:
    """(bucket, matching users before it, total) for the bucket holding match number
    `offset` (0-based); no row when there are not that many.

    Two running sums: over the coarse rows to the group, then over that group's buckets."""
    groups = _live_per_bucket(span=GROUP, role=role, active=active).subquery("per_group")
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
        _live_per_bucket(span=BUCKET, role=role, active=active)
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


def _text_page(
    matches: Select[Any], page_limit: BindParameter[int], page_offset: BindParameter[int]
) -> Select[Any]:
    """One statement for a q search: the matches' list_seq values (a CTE — on PostgreSQL
    one scan of the trigram indexes), counted for the total and sorted for the page's
    numbers, then the page's rows by list_seq."""
    found = matches.cte("matches")
    chosen = (
        select(found.c.seq).order_by(found.c.seq).limit(page_limit).offset(page_offset)
    ).subquery("chosen")
    total = select(func.count()).select_from(found).scalar_subquery().label("total")
    return (
        select(*users.c, total)
        .join_from(users, chosen, list_seq == chosen.c.seq)
        .order_by(list_seq)
    )


async def _with_total(
    conn: AsyncConnection,
    page: Prepared,
    count: Select[Any],
    values: dict[str, Any],
    to_entity: ToEntity[T],
) -> Page[T]:
    """A page whose rows carry the total in their last column. No row: the first page of
    nothing (total 0) or a page past the end, whose total `count` gives."""
    rows = await page.rows(conn, values)
    if rows:
        return Page(items=tuple(to_entity(row[:-1]) for row in rows), total=int(rows[0][-1]))
    if values["page_offset"] == 0 and values["page_limit"] > 0:
        return Page(items=(), total=0)
    return Page(items=(), total=int(await conn.scalar(count, values) or 0))


async def _deep_page(
    conn: AsyncConnection, statements: _Statements, values: dict[str, Any], to_entity: ToEntity[T]
) -> Page[T]:
    found = next(iter(await statements.bucket_of.rows(conn, values)), None)
    if found is None:  # past the end
        return Page(items=(), total=int(await conn.scalar(statements.count, values) or 0))
    bucket, before, total = (int(value) for value in found)
    if values["page_limit"] == 0:
        return Page(items=(), total=total)
    within = {**values, "start": bucket * BUCKET, "page_offset": values["page_offset"] - before}
    rows = await statements.deep_page.rows(conn, within)
    return Page(items=tuple(to_entity(row) for row in rows), total=total)
