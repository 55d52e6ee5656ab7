"""Contract of the user ports — Users, Sessions, AuditLog, BackupCodes, UnitOfWork, Readers —
for every adapter.

Each test runs against the in-memory fake and the SQL adapters on SQLite, PostgreSQL and
MySQL/MariaDB, each on a fresh database migrated with the project's migration runner.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.db.shell.engine import Database
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.user.core.model import AuditEvent, AuditFilter, Role, User, UserFilter
from boundary.user.ports import (
    EmailTaken,
    Readers,
    ReadersFactory,
    UnitOfWork,
    UnitOfWorkFactory,
)
from boundary.user.shell.persistence import (
    SqlUsers,
    schema,
    sql_readers_factory,
    sql_unit_of_work_factory,
)
from boundary.user.shell.persistence.users import USER_COLUMNS
from tests.conftest import FreshDatabase
from tests.fakes import builders
from tests.fakes.builders import NOW_PRECISE as NOW
from tests.fakes.user_repositories import FakeUserStore
from tests.support.databases import DIALECTS, start_from_migrated_sqlite

pytestmark = pytest.mark.anyio

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
PLUS_TWO = timezone(timedelta(hours=2))


@dataclass
class Backend:
    """One adapter under test: its unit-of-work and readers factories, and the database for
    SQL ones."""

    name: str
    unit_of_work: UnitOfWorkFactory
    readers: ReadersFactory
    database: Database | None = None


@pytest.fixture(params=("fake", *DIALECTS))
def backend_url(request: pytest.FixtureRequest, fresh_database: FreshDatabase) -> str | None:
    """None for the fake, else a fresh database of the parameter's dialect."""
    return None if request.param == "fake" else fresh_database(request.param)


@pytest.fixture
async def backend(backend_url: str | None) -> AsyncIterator[Backend]:
    if backend_url is None:
        store = FakeUserStore()
        yield Backend("fake", store.unit_of_work, store.readers)
        return
    await start_from_migrated_sqlite(backend_url, MIGRATIONS)
    database = Database(
        backend_url,
        pool_size=2,
        pool_timeout_ms=5000,
        metrics=NoopMetrics(),
        logger=get_logger("test.persistence"),
    )
    try:
        await MigrationRunner(database, MIGRATIONS).migrate()
        yield Backend(
            database.dialect,
            sql_unit_of_work_factory(database),
            sql_readers_factory(database),
            database,
        )
    finally:
        await database.close()


@asynccontextmanager
async def committed(backend: Backend) -> AsyncIterator[UnitOfWork]:
    """A unit of work committed when the block ends without an exception."""
    async with backend.unit_of_work() as uow:
        yield uow
        await uow.commit()


make_user = partial(builders.make_user, created_at=NOW, updated_at=NOW)


make_session = partial(builders.make_session, created_at=NOW, expires_at=NOW + timedelta(hours=12))


def make_event(**overrides: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "event_type": "login_succeeded",
        "action": "login",
        "result": "success",
        "created_at": NOW,
    }
    return AuditEvent(**(values | overrides))


async def add_users(backend: Backend, *users: User) -> None:
    async with committed(backend) as uow:
        for user in users:
            await uow.users.add(user)


def code_hashes(*codes: str) -> list[str]:
    """What the service stores for these backup codes: their SHA-256 hex digests."""
    return [hashlib.sha256(code.encode()).hexdigest() for code in codes]


def assert_utc(*values: datetime | None) -> None:
    for value in values:
        if value is not None:
            assert value.tzinfo is not None
            assert value.utcoffset() == timedelta(0)


# --- Users -------------------------------------------------------------------------------------


async def test_added_user_reads_back_with_every_column(backend: Backend) -> None:
    """Every column round-trips; timestamps come back aware, in UTC, to the microsecond."""
    user = make_user(
        email="grace@example.com",
        name="Grace Hopper",
        role="admin",
        active=False,
        mfa_enabled=True,
        mfa_secret="JBSWY3DPEHPK3PXP",
        mfa_last_step=58_933_345,
        failed_login_count=3,
        lockout_until=datetime(2026, 1, 3, 14, 15, 0, 654321, tzinfo=PLUS_TWO),
        login_count=42,
        last_login=NOW - timedelta(days=1, microseconds=1),
        created_at=NOW - timedelta(days=30),
        updated_at=NOW,
        deleted_at=NOW + timedelta(seconds=1),
    )
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        found = await uow.users.get(user.id)
    assert found == user
    assert found.lockout_until is not None
    assert found.lockout_until.microsecond == 654321
    assert_utc(found.lockout_until, found.last_login, found.created_at, found.updated_at)
    assert_utc(found.deleted_at)


async def test_a_minimal_user_keeps_its_defaults_and_nones(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        found = await uow.users.get(user.id)
    assert found == user
    assert (found.mfa_secret, found.lockout_until, found.deleted_at) == (None, None, None)
    assert (found.active, found.mfa_enabled, found.login_count) == (True, False, 0)


async def test_unknown_user_is_none(backend: Backend) -> None:
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(uuid4()) is None
        assert await uow.users.by_email("nobody@example.com") is None


async def test_text_round_trips_beyond_ascii(backend: Backend) -> None:
    user = make_user(name="Zoë Ångström 😀 李")
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user


async def test_by_email_ignores_case_both_ways(backend: Backend) -> None:
    lower = make_user(email="ada@example.com")
    mixed = make_user(email="Mixed.Case@Example.com")
    await add_users(backend, lower, mixed)
    async with backend.unit_of_work() as uow:
        assert await uow.users.by_email("ADA@Example.COM") == lower
        assert await uow.users.by_email("mixed.case@example.com") == mixed


async def test_by_email_finds_soft_deleted_users(backend: Backend) -> None:
    deleted = make_user(email="gone@example.com", deleted_at=NOW)
    await add_users(backend, deleted)
    async with backend.unit_of_work() as uow:
        assert await uow.users.by_email("gone@example.com") == deleted


@pytest.mark.parametrize("taken_by_deleted", [False, True])
async def test_duplicate_email_in_another_case_is_email_taken(
    backend: Backend, taken_by_deleted: bool
) -> None:
    """Also when the holder is soft-deleted: its email stays reserved."""
    holder = make_user(email="ada@example.com", deleted_at=NOW if taken_by_deleted else None)
    await add_users(backend, holder)
    async with backend.unit_of_work() as uow:
        with pytest.raises(EmailTaken):
            await uow.users.add(make_user(email="ADA@Example.com"))


async def test_unit_of_work_stays_usable_after_email_taken(backend: Backend) -> None:
    first, second = make_user(email="ada@example.com"), make_user()
    async with committed(backend) as uow:
        await uow.users.add(first)
        with pytest.raises(EmailTaken):
            await uow.users.add(make_user(email="Ada@example.com"))
        await uow.users.add(second)
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(first.id) == first
        assert await uow.users.get(second.id) == second


async def test_save_writes_every_mutable_column(backend: Backend) -> None:
    user = make_user(email="before@example.com")
    await add_users(backend, user)
    changed = replace(
        user,
        email="after@example.com",
        name="Renamed",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA",
        role="viewer",
        active=False,
        mfa_enabled=True,
        mfa_secret="KRSXG5CTMVRXEZLU",
        failed_login_count=10,
        lockout_until=NOW + timedelta(minutes=15),
        login_count=7,
        last_login=NOW - timedelta(hours=1),
        updated_at=NOW + timedelta(seconds=5, microseconds=1),
        deleted_at=NOW + timedelta(seconds=5),
    )
    async with committed(backend) as uow:
        await uow.users.save(changed)
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == changed
    cleared = replace(
        changed, mfa_secret=None, lockout_until=None, last_login=None, deleted_at=None
    )
    async with committed(backend) as uow:
        await uow.users.save(cleared)
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == cleared


async def test_save_keeps_id_and_created_at(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with committed(backend) as uow:
        await uow.users.save(replace(user, created_at=NOW + timedelta(days=1), name="New"))
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == replace(user, name="New")


async def test_save_to_an_email_in_use_is_email_taken(backend: Backend) -> None:
    ada, bob = make_user(email="ada@example.com"), make_user(email="bob@example.com")
    await add_users(backend, ada, bob)
    async with backend.unit_of_work() as uow:
        with pytest.raises(EmailTaken):
            await uow.users.save(replace(bob, email="ADA@example.com"))


async def test_unit_of_work_stays_usable_after_email_taken_on_save(backend: Backend) -> None:
    ada, bob = make_user(email="ada@example.com"), make_user(email="bob@example.com")
    await add_users(backend, ada, bob)
    async with committed(backend) as uow:
        with pytest.raises(EmailTaken):
            await uow.users.save(replace(bob, email="ada@example.com"))
        await uow.users.save(replace(bob, name="Robert"))
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(bob.id) == replace(bob, name="Robert")


async def test_a_duplicate_id_is_an_error_but_not_email_taken(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        with pytest.raises((KeyError, IntegrityError)) as raised:
            await uow.users.add(make_user(id=user.id, email="another@example.com"))
    assert not isinstance(raised.value, EmailTaken)


async def test_naive_timestamps_are_refused(backend: Backend) -> None:
    """Timestamps are aware everywhere; a naive one is a programming error, never stored."""
    async with backend.unit_of_work() as uow:
        with pytest.raises((ValueError, StatementError)) as raised:
            await uow.users.add(make_user(created_at=NOW.replace(tzinfo=None)))
    error = raised.value
    assert isinstance(error, ValueError) or isinstance(getattr(error, "orig", None), ValueError)


# --- Users.search ------------------------------------------------------------------------------
# Users are listed in the order they were added (users.list_seq: registration order, oldest
# first); totals and deep offsets come from user_list_stats, which triggers keep per bucket of
# 1,024 list_seq values — hence the tests across bucket boundaries and through plain SQL.

ROLES: tuple[Role, ...] = ("admin", "user", "viewer")
FILTERS = tuple(
    UserFilter(role=role, active=active)
    for role in (None, *ROLES)
    for active in (None, True, False)
)


def listed(added: Sequence[User], where: UserFilter) -> list[UUID]:
    """What the listing must show: the live users matching `where`, in the order added."""
    return [
        u.id
        for u in added
        if u.deleted_at is None
        and (where.role is None or u.role == where.role)
        and (where.active is None or u.active == where.active)
    ]


async def search_ids(
    uow: UnitOfWork | Readers, where: UserFilter, *, limit: int, offset: int
) -> tuple[list[UUID], int]:
    page = await uow.users.search(where, limit=limit, offset=offset)
    return [u.id for u in page.items], page.total


async def test_search_pages_live_users_in_the_order_added_with_total(backend: Backend) -> None:
    """Neither created_at nor id decides the order: the users were added newest first."""
    people = [make_user(created_at=NOW - timedelta(seconds=i)) for i in range(5)]
    deleted = make_user(created_at=NOW - timedelta(seconds=1), deleted_at=NOW)
    await add_users(backend, people[0], people[1], deleted, *people[2:])
    pages = []
    async with backend.unit_of_work() as uow:
        for offset in (0, 2, 4):
            pages.append(await uow.users.search(UserFilter(), limit=2, offset=offset))
    assert [page.total for page in pages] == [5, 5, 5]
    assert [user for page in pages for user in page.items] == people


async def test_search_keeps_the_order_added_when_created_at_ties(backend: Backend) -> None:
    same_time = [make_user() for _ in range(6)]
    await add_users(backend, *same_time)
    async with backend.unit_of_work() as uow:
        page = await uow.users.search(UserFilter(), limit=10, offset=0)
    assert [u.id for u in page.items] == [u.id for u in same_time]


@pytest.mark.parametrize("where", [UserFilter(), UserFilter(role="viewer", active=True)])
async def test_search_offset_past_the_end_keeps_the_total(
    backend: Backend, where: UserFilter
) -> None:
    await add_users(backend, make_user(role="viewer"), make_user(role="viewer"), make_user())
    async with backend.unit_of_work() as uow:
        at_end = await uow.users.search(where, limit=10, offset=2 if where.role else 3)
        beyond = await uow.users.search(where, limit=10, offset=5)
    assert (at_end.items, beyond.items) == ((), ())
    assert (at_end.total, beyond.total) == ((2, 2) if where.role else (3, 3))


async def test_search_of_nothing_is_empty_with_total_zero(backend: Backend) -> None:
    await add_users(backend, make_user(deleted_at=NOW), make_user(role="viewer"))
    async with backend.unit_of_work() as uow:
        for where in (UserFilter(role="admin"), UserFilter(active=False), UserFilter(q="zz")):
            for offset in (0, 1):
                page = await uow.users.search(where, limit=10, offset=offset)
                assert (page.items, page.total) == ((), 0)


async def test_search_filters_by_role_and_active(backend: Backend) -> None:
    admin = make_user(role="admin")
    viewer = make_user(role="viewer", created_at=NOW + timedelta(seconds=1))
    inactive = make_user(role="viewer", active=False, created_at=NOW + timedelta(seconds=2))
    await add_users(backend, admin, viewer, inactive)
    async with backend.unit_of_work() as uow:
        viewers = await uow.users.search(UserFilter(role="viewer"), limit=10, offset=0)
        active = await uow.users.search(UserFilter(active=True), limit=10, offset=0)
        both = await uow.users.search(UserFilter(role="viewer", active=False), limit=10, offset=0)
    assert (viewers.items, viewers.total) == ((viewer, inactive), 2)
    assert (active.items, active.total) == ((admin, viewer), 2)
    assert (both.items, both.total) == ((inactive,), 1)


async def test_search_totals_follow_every_kind_of_change_under_every_filter(
    backend: Backend,
) -> None:
    """Adds (live and already deleted), role and active changes, soft deletes and undeletes:
    every role/active filter then lists and counts exactly the live users it matches, from
    the first page and from a later one."""
    added = [
        make_user(role=role, active=active, deleted_at=NOW if deleted else None)
        for _ in range(2)
        for role in ROLES
        for active in (True, False)
        for deleted in (False, True)
    ]
    await add_users(backend, *added)
    later = NOW + timedelta(minutes=1)
    changes: dict[int, dict[str, Any]] = {
        0: {"role": "viewer"},  # a live active admin becomes a viewer
        2: {"active": True},  # a live inactive admin is reactivated
        4: {"deleted_at": later},  # a live user is soft-deleted
        5: {"deleted_at": None},  # a deleted user comes back
        6: {"role": "admin", "active": True},  # role and active at once
        9: {"role": "admin", "deleted_at": None},  # a deleted viewer comes back as an admin
        12: {"deleted_at": later},
        13: {"deleted_at": later + timedelta(seconds=1)},  # deleted again: nothing changes
    }
    async with committed(backend) as uow:
        for index, change in changes.items():
            added[index] = replace(added[index], updated_at=later, **change)
            await uow.users.save(added[index])
    async with backend.readers() as read:
        for where in FILTERS:
            expected = listed(added, where)
            assert await search_ids(read, where, limit=100, offset=0) == (expected, len(expected))
            assert await search_ids(read, where, limit=2, offset=1) == (
                expected[1:3],
                len(expected),
            )


async def test_search_deep_offsets_across_buckets_with_deleted_users_between(
    backend: Backend,
) -> None:
    """2,600 users (three stats buckets on a fresh database), a run of soft-deleted users
    across the first bucket boundary, more scattered and at the start of the third bucket,
    some added already deleted: every offset — at, around and past the boundaries, for
    several filters — gives the same page as counting through the list would."""
    added = [
        make_user(
            role="viewer" if i % 7 == 0 else "user",
            active=i % 11 != 0,
            deleted_at=NOW if i % 97 == 0 else None,
        )
        for i in range(2600)
    ]
    await add_users(backend, *added)
    gone = {*range(1000, 1100), *range(2047, 2080), *range(5, 2600, 50)}
    async with committed(backend) as uow:
        for index in sorted(gone):
            if added[index].deleted_at is None:
                added[index] = replace(added[index], deleted_at=NOW, updated_at=NOW)
                await uow.users.save(added[index])
    async with backend.readers() as read:
        for where in (
            UserFilter(),
            UserFilter(role="viewer"),
            UserFilter(active=False),
            UserFilter(role="user", active=True),
        ):
            expected = listed(added, where)
            total = len(expected)
            near = (0, 1, 19, 20, 900, 923, 930, 950, 1000, 1800, 1850, 1900, 1960, 2000)
            ends = (total - 21, total - 20, total - 1, total, total + 1, total + 1000)
            for offset in sorted({*near, *ends, *range(0, total, 89)} - {-1, -20, -21}):
                assert await search_ids(read, where, limit=20, offset=offset) == (
                    expected[offset : offset + 20],
                    total,
                ), (where, offset)


async def test_search_q_matches_email_or_name_ignoring_case(backend: Backend) -> None:
    by_email = make_user(email="ada.lovelace@example.com", name="A. L.")
    by_name = make_user(name="Countess of LOVELACE", created_at=NOW + timedelta(seconds=1))
    neither = make_user(name="Grace Hopper", created_at=NOW + timedelta(seconds=2))
    await add_users(backend, by_email, by_name, neither)
    async with backend.unit_of_work() as uow:
        page = await uow.users.search(UserFilter(q="LoveLace"), limit=10, offset=0)
    assert (page.items, page.total) == ((by_email, by_name), 2)


async def test_search_q_pages_in_the_order_added_under_filters(backend: Backend) -> None:
    """q with role and active, soft-deleted matches left out, paged from any offset."""
    added = [
        make_user(
            name=f"{'Hopper' if i % 3 else 'Lovelace'} {i}",
            role="viewer" if i % 2 else "user",
            active=i % 5 != 0,
            deleted_at=NOW if i % 8 == 0 else None,
        )
        for i in range(60)
    ]
    await add_users(backend, *added)
    async with backend.readers() as read:
        for where in (UserFilter(q="HOPP"), UserFilter(q="hopper", role="viewer", active=True)):
            hoppers = [u for u in added if "hopper" in u.name.lower()]
            expected = listed(hoppers, replace(where, q=None))
            assert len(expected) > 5
            for offset in (0, 3, len(expected) - 1, len(expected)):
                assert await search_ids(read, where, limit=4, offset=offset) == (
                    expected[offset : offset + 4],
                    len(expected),
                )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", {"percent", "all"}),
        ("_", {"underscore", "all"}),
        ("/", {"slash", "all"}),
        ("5%_/", {"all"}),
    ],
)
async def test_search_q_takes_like_wildcards_literally(
    backend: Backend, q: str, expected: set[str]
) -> None:
    """`%` and `_` (and the escape character) in `q` match themselves, not anything."""
    users = {
        "percent": make_user(name="Discount 50% off"),
        "underscore": make_user(name="snake_case"),
        "slash": make_user(name="either/or"),
        "all": make_user(name="tricky 5%_/ name"),
        "plain": make_user(name="Plain Name"),
    }
    await add_users(backend, *users.values())
    async with backend.unit_of_work() as uow:
        page = await uow.users.search(UserFilter(q=q), limit=10, offset=0)
    assert {u.name for u in page.items} == {users[key].name for key in expected}
    assert page.total == len(expected)


# The list stats on the SQL databases: kept by triggers, so plain SQL keeps them right, and
# untouched by the writes that change none of role, active or liveness (a login's UPDATE).


StatsRow = tuple[int, int, str, bool, int]


async def stats_rows(conn: AsyncConnection, dialect: str) -> set[StatsRow]:
    """user_list_stats' non-zero rows (span, bucket, role, active, live users), asserted equal
    to a recount of the users table at both spans."""
    stored = await conn.execute(
        text(
            "SELECT span, bucket, role, active, live_users FROM user_list_stats "
            "WHERE live_users <> 0"
        )
    )
    kept = {(int(s), int(b), str(r), bool(a), int(n)) for s, b, r, a, n in stored}
    counted: set[StatsRow] = set()
    for span in (1024, 32768):
        bucket = f"list_seq {'DIV' if dialect == 'mysql' else '/'} {span}"
        recount = await conn.execute(
            text(
                f"SELECT {bucket}, role, active, count(*) FROM users "
                f"WHERE deleted_at IS NULL GROUP BY {bucket}, role, active"
            )
        )
        counted |= {(span, int(b), str(r), bool(a), int(n)) for b, r, a, n in recount}
    assert kept == counted
    return kept


@pytest.mark.parametrize("backend_url", DIALECTS, indirect=True)
async def test_list_stats_follow_plain_sql_writes(backend: Backend) -> None:
    """An operator's or a restore's SQL — multi-row INSERT, bulk UPDATE, hard DELETE, a moved
    list_seq — keeps user_list_stats equal to a recount, and the listing's totals right."""
    assert backend.database is not None
    dialect = backend.database.dialect
    users_table = schema.users
    added = [
        make_user(role=ROLES[i % 3], active=i % 4 != 0, deleted_at=NOW if i % 5 == 0 else None)
        for i in range(40)
    ]
    move = text("UPDATE users SET list_seq = :seq WHERE id = :id").bindparams(
        bindparam("id", type_=schema.UUIDText())
    )
    async with backend.database.transaction() as conn:
        await conn.execute(insert(users_table).values([row_values(u) for u in added]))
        await stats_rows(conn, dialect)
        await conn.execute(
            update(users_table).where(users_table.c.role == "viewer").values(active=False)
        )
        soft = [u.id for u in added[1:12]]
        await conn.execute(
            update(users_table).where(users_table.c.id.in_(soft)).values(deleted_at=NOW)
        )
        back = [u.id for u in added[20:30] if u.deleted_at is not None]
        await conn.execute(
            update(users_table).where(users_table.c.id.in_(back)).values(deleted_at=None)
        )
        hard = [u.id for u in added[8:16]]
        await conn.execute(delete(users_table).where(users_table.c.id.in_(hard)))
        await conn.execute(move, {"seq": 5000, "id": added[33].id})  # into bucket 4
        assert len(await stats_rows(conn, dialect)) > 3
    expected = [
        replace(
            u,
            active=False if u.role == "viewer" else u.active,
            deleted_at=NOW if u.id in soft else None if u.id in back else u.deleted_at,
        )
        for u in added
        if u.id not in hard
    ]
    moved = expected.pop(33 - len(hard))  # now after everyone else
    expected.append(moved)
    async with backend.readers() as read:
        for where in FILTERS:
            shown = listed(expected, where)
            assert await search_ids(read, where, limit=50, offset=0) == (shown, len(shown))
            last = max(len(shown) - 1, 0)
            assert await search_ids(read, where, limit=1, offset=last) == (
                shown[last:],
                len(shown),
            )
    assert moved.deleted_at is None


@pytest.mark.parametrize("backend_url", DIALECTS, indirect=True)
async def test_search_deep_offsets_across_groups_of_buckets(backend: Backend) -> None:
    """Users spread over many groups of buckets (list_seq renumbered by SQL, order kept, most
    buckets empty): every offset still lands on the right page — the coarse running sum
    finds the group, the fine one the bucket."""
    assert backend.database is not None
    added = [
        make_user(role="viewer" if i % 3 == 0 else "user", active=i % 4 != 0) for i in range(300)
    ]
    await add_users(backend, *added)
    async with backend.database.transaction() as conn:
        await conn.execute(text("UPDATE users SET list_seq = list_seq * 700"))  # up to 210,000
        assert len({row[1] for row in await stats_rows(conn, backend.database.dialect)}) > 100
    async with committed(backend) as uow:
        for index in range(0, 300, 7):
            added[index] = replace(added[index], deleted_at=NOW, updated_at=NOW)
            await uow.users.save(added[index])
    async with backend.readers() as read:
        for where in (UserFilter(), UserFilter(role="viewer"), UserFilter(active=True)):
            expected = listed(added, where)
            for offset in range(0, len(expected) + 2, 3):
                assert await search_ids(read, where, limit=4, offset=offset) == (
                    expected[offset : offset + 4],
                    len(expected),
                ), (where, offset)


@pytest.mark.parametrize("backend_url", ["postgresql"], indirect=True)
async def test_truncating_users_empties_the_list_stats(backend: Backend) -> None:
    """TRUNCATE fires no row triggers; its own trigger empties the stats (PostgreSQL; MySQL
    refuses to truncate a table other tables reference, SQLite has no TRUNCATE)."""
    assert backend.database is not None
    await add_users(backend, make_user(), make_user(role="admin"))
    async with backend.database.transaction() as conn:
        await conn.execute(text("TRUNCATE users CASCADE"))
        assert await conn.scalar(text("SELECT count(*) FROM user_list_stats")) == 0
    newcomer = make_user()
    await add_users(backend, newcomer)
    async with backend.readers() as read:
        assert await search_ids(read, UserFilter(), limit=5, offset=0) == ([newcomer.id], 1)
        assert await search_ids(read, UserFilter(role="admin"), limit=5, offset=1) == ([], 0)


@pytest.mark.parametrize("backend_url", DIALECTS, indirect=True)
async def test_logins_and_ordinary_saves_do_not_write_the_list_stats(backend: Backend) -> None:
    """A save that changes none of role, active and liveness — a login's counters, a rename,
    a new email, password or MFA secret — writes no user_list_stats row, so it never waits
    for a registration holding its bucket's row; a role change does write it."""
    assert backend.database is not None
    user = make_user()
    await add_users(backend, user)
    later = NOW + timedelta(minutes=1)
    login = replace(user, login_count=1, last_login=later, failed_login_count=0, updated_at=later)
    ordinary = [
        login,
        replace(login, name="Renamed", email="renamed@example.com", password_hash="$argon2id$x"),
        replace(login, mfa_enabled=True, mfa_secret="JBSWY3DPEHPK3PXP", lockout_until=later),
    ]
    demoted = replace(login, role="viewer")
    if backend.database.dialect == "sqlite":
        # SQLite runs one writer at a time, so a lock cannot tell: count the rows each save
        # changes instead (total_changes() includes the rows triggers change).
        async with backend.database.transaction() as conn:
            users_repo = SqlUsers(conn)
            for saved in ordinary:
                assert await rows_changed(conn, users_repo.save(saved)) == 1
            # + the old and the new stats row at both spans
            assert await rows_changed(conn, users_repo.save(demoted)) == 5
        return
    async with backend.database.transaction() as locker:
        await locker.execute(text("SELECT bucket FROM user_list_stats FOR UPDATE"))
        for saved in ordinary:  # each would wait for `locker`, and time out, if it wrote one
            await asyncio.wait_for(save_committed(backend, saved), timeout=10)
        demoting = asyncio.create_task(save_committed(backend, demoted))
        await asyncio.wait({demoting}, timeout=0.3)
        assert not demoting.done()
    await demoting
    async with backend.readers() as read:
        assert await search_ids(read, UserFilter(role="viewer"), limit=5, offset=0) == (
            [user.id],
            1,
        )


async def save_committed(backend: Backend, user: User) -> None:
    async with committed(backend) as uow:
        await uow.users.save(user)


async def rows_changed(conn: AsyncConnection, write: Awaitable[None]) -> int:
    """Rows `write` changed on this SQLite connection, rows changed by triggers included."""
    before = await conn.scalar(text("SELECT total_changes()"))
    await write
    return int(await conn.scalar(text("SELECT total_changes()"))) - int(before)


def row_values(user: User) -> dict[str, Any]:
    return {key: getattr(user, key) for key in USER_COLUMNS}


# --- Users: TOTP steps and the admins' lock ---------------------------------------------------


async def test_claim_totp_step_takes_only_newer_steps(backend: Backend) -> None:
    """A step is claimed once; an older or equal one is a replay (False, nothing written)."""
    user = make_user()
    await add_users(backend, user)
    async with committed(backend) as uow:
        assert await uow.users.claim_totp_step(user.id, 100)
        assert not await uow.users.claim_totp_step(user.id, 100)
        assert not await uow.users.claim_totp_step(user.id, 99)
        assert await uow.users.claim_totp_step(user.id, 101)
        assert not await uow.users.claim_totp_step(uuid4(), 1)
    async with backend.unit_of_work() as uow:
        found = await uow.users.get(user.id)
    assert found is not None
    assert found.mfa_last_step == 101


async def test_save_never_writes_the_totp_step(backend: Backend) -> None:
    """Only the compare-and-set writes the step: a stale row saved later cannot roll it back."""
    user = make_user(mfa_last_step=7)
    await add_users(backend, user)
    async with committed(backend) as uow:
        assert await uow.users.claim_totp_step(user.id, 8)
    async with committed(backend) as uow:
        await uow.users.save(replace(user, name="Renamed", mfa_last_step=None))
    async with backend.unit_of_work() as uow:
        found = await uow.users.get(user.id)
    assert found is not None
    assert (found.name, found.mfa_last_step) == ("Renamed", 8)


@pytest.mark.parametrize("first_commits", [True, False])
async def test_of_two_concurrent_claims_of_a_step_one_wins(
    backend: Backend, first_commits: bool
) -> None:
    """Two requests with one TOTP code at once: the second claim waits for the first's unit,
    then is False if that unit committed — True if it rolled back."""
    user = make_user()
    await add_users(backend, user)

    async def second_request() -> bool:
        async with committed(backend) as uow:
            return await uow.users.claim_totp_step(user.id, 500)

    async with backend.unit_of_work() as first:
        assert await first.users.claim_totp_step(user.id, 500)
        second = asyncio.create_task(second_request())
        await asyncio.wait({second}, timeout=0.3)  # see the backup-code race above
        assert not second.done()
        if first_commits:
            await first.commit()
    assert await second is not first_commits


async def test_active_admin_ids_are_the_live_active_admins(backend: Backend) -> None:
    admin = make_user(role="admin")
    others = [
        make_user(role="admin", active=False),
        make_user(role="admin", deleted_at=NOW),
        make_user(role="viewer"),
        make_user(role="user"),
    ]
    await add_users(backend, admin, *others)
    async with backend.unit_of_work() as uow:
        assert await uow.users.active_admin_ids() == frozenset({admin.id})
    async with backend.readers() as read:
        assert await read.users.active_admin_ids() == frozenset({admin.id})


async def test_a_second_admin_check_waits_and_sees_the_first_demotion(backend: Backend) -> None:
    """Two demotions of the last two admins at once: the second unit's `active_admin_ids`
    waits for the first unit, then no longer counts the admin it demoted."""
    first_admin, second_admin = make_user(role="admin"), make_user(role="admin")
    await add_users(backend, first_admin, second_admin)
    both = frozenset({first_admin.id, second_admin.id})

    async def second_demotion() -> frozenset[UUID]:
        async with committed(backend) as uow:
            return await uow.users.active_admin_ids()

    async with backend.unit_of_work() as first:
        assert await first.users.active_admin_ids() == both
        second = asyncio.create_task(second_demotion())
        await asyncio.wait({second}, timeout=0.3)
        assert not second.done()
        await first.users.save(replace(first_admin, role="user", updated_at=NOW))
        await first.commit()
    assert await second == frozenset({second_admin.id})


# --- Sessions ----------------------------------------------------------------------------------


async def test_added_session_reads_back_by_id_and_by_token_hash(backend: Backend) -> None:
    user = make_user()
    full = make_session(
        user,
        last_seen_at=NOW + timedelta(minutes=5, microseconds=7),
        revoked_at=NOW + timedelta(minutes=6),
        ip="2001:db8::1",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) " + "x" * 600,
        expires_at=datetime(2026, 1, 4, 2, 0, 0, 1, tzinfo=PLUS_TWO),
    )
    bare = make_session(user)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.sessions.add(full)
        await uow.sessions.add(bare)
    async with backend.unit_of_work() as uow:
        assert await uow.sessions.get(full.id) == full
        assert await uow.sessions.by_token_hash(full.token_hash) == full
        assert await uow.sessions.get(bare.id) == bare
        found = await uow.sessions.by_token_hash(bare.token_hash)
    assert found == bare
    assert_utc(found.created_at, found.expires_at)


async def test_unknown_session_is_none(backend: Backend) -> None:
    async with backend.unit_of_work() as uow:
        assert await uow.sessions.get(uuid4()) is None
        assert await uow.sessions.by_token_hash("0" * 64) is None
        assert await uow.sessions.with_user(uuid4()) is None


async def test_with_user_returns_the_session_and_its_full_user(backend: Backend) -> None:
    user = make_user(mfa_enabled=True, mfa_secret="JBSWY3DPEHPK3PXP", last_login=NOW)
    other = make_user()
    session = make_session(user, ip="203.0.113.9", last_seen_at=NOW)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        await uow.sessions.add(session)
        await uow.sessions.add(make_session(other))
    async with backend.unit_of_work() as uow:
        assert await uow.sessions.with_user(session.id) == (session, user)


async def test_save_writes_last_seen_expiry_and_revocation(backend: Backend) -> None:
    user = make_user()
    session = make_session(user)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.sessions.add(session)
    changed = replace(
        session,
        last_seen_at=NOW + timedelta(minutes=1),
        expires_at=NOW + timedelta(days=1),
        revoked_at=NOW + timedelta(minutes=2),
    )
    async with committed(backend) as uow:
        await uow.sessions.save(changed)
    async with backend.unit_of_work() as uow:
        assert await uow.sessions.get(session.id) == changed


async def test_replace_token_rotates_once_and_the_old_hash_finds_the_session(
    backend: Backend,
) -> None:
    """Compare and set: the rotation is stored while the row still has the hash it replaces;
    the same rotation again, one from a stale read, or one of a revoked session writes nothing.
    `save` leaves both hashes alone."""
    user = make_user()
    session = make_session(user)
    revoked = make_session(user, revoked_at=NOW)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.sessions.add(session)
        await uow.sessions.add(revoked)
    seen = NOW + timedelta(minutes=3)
    rotated = replace(
        session, token_hash="a" * 64, previous_token_hash=session.token_hash, last_seen_at=seen
    )
    racing = replace(rotated, token_hash="b" * 64)
    async with committed(backend) as uow:
        assert await uow.sessions.replace_token(rotated) is True
        assert await uow.sessions.replace_token(racing) is False
        assert await uow.sessions.replace_token(rotated) is False
        dead = replace(revoked, token_hash="c" * 64, previous_token_hash=revoked.token_hash)
        assert await uow.sessions.replace_token(dead) is False
        # `session` still carries the old hashes: `save` must not write them back.
        later = NOW + timedelta(days=1)
        await uow.sessions.save(replace(session, last_seen_at=seen, expires_at=later))
    async with backend.unit_of_work() as uow:
        stored = await uow.sessions.get(session.id)
        assert stored == replace(rotated, expires_at=later)
        assert await uow.sessions.by_token_hash("a" * 64) == stored
        assert await uow.sessions.by_token_hash(session.token_hash) is None
        assert await uow.sessions.by_previous_token_hash(session.token_hash) == stored
        assert await uow.sessions.by_previous_token_hash("b" * 64) is None
        assert await uow.sessions.get(revoked.id) == revoked


async def test_revoke_for_user_revokes_the_unrevoked_except_keep(backend: Backend) -> None:
    user, other = make_user(), make_user()
    kept = make_session(user)
    live = [make_session(user) for _ in range(2)]
    expired = make_session(user, expires_at=NOW - timedelta(hours=1))
    earlier = make_session(user, revoked_at=NOW - timedelta(days=1))
    elsewhere = make_session(other)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        for session in (kept, *live, expired, earlier, elsewhere):
            await uow.sessions.add(session)
    revoked_at = NOW + timedelta(minutes=1)
    async with committed(backend) as uow:
        assert await uow.sessions.revoke_for_user(user.id, revoked_at, keep=kept.id) == 3
    async with backend.unit_of_work() as uow:
        for session in (*live, expired):
            assert await uow.sessions.get(session.id) == replace(session, revoked_at=revoked_at)
        for untouched in (kept, earlier, elsewhere):
            assert await uow.sessions.get(untouched.id) == untouched


async def test_revoke_for_user_without_keep_revokes_all(backend: Backend) -> None:
    user = make_user()
    sessions = [make_session(user) for _ in range(3)]
    async with committed(backend) as uow:
        await uow.users.add(user)
        for session in sessions:
            await uow.sessions.add(session)
    async with committed(backend) as uow:
        assert await uow.sessions.revoke_for_user(user.id, NOW) == 3
        assert await uow.sessions.revoke_for_user(user.id, NOW) == 0
        assert await uow.sessions.count_live(NOW) == 0


async def test_delete_for_user_deletes_every_row_of_that_user_only(backend: Backend) -> None:
    """Revoked, expired and live rows go (erasure); other users' sessions stay."""
    user, other = make_user(), make_user()
    mine = [
        make_session(user),
        make_session(user, revoked_at=NOW),
        make_session(user, expires_at=NOW - timedelta(hours=1)),
    ]
    elsewhere = make_session(other)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        for session in (*mine, elsewhere):
            await uow.sessions.add(session)
    async with committed(backend) as uow:
        assert await uow.sessions.delete_for_user(user.id) == 3
        assert await uow.sessions.delete_for_user(user.id) == 0
    async with backend.unit_of_work() as uow:
        assert [await uow.sessions.get(session.id) for session in mine] == [None] * 3
        assert (await uow.sessions.for_user(user.id, limit=10, offset=0)).total == 0
        assert await uow.sessions.get(elsewhere.id) == elsewhere


async def test_for_user_pages_newest_first_with_total(backend: Backend) -> None:
    user, other = make_user(), make_user()
    mine = [make_session(user, created_at=NOW + timedelta(minutes=i)) for i in range(5)]
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        for session in (mine[2], mine[0], make_session(other), mine[4], mine[1], mine[3]):
            await uow.sessions.add(session)
    async with backend.unit_of_work() as uow:
        first = await uow.sessions.for_user(user.id, limit=3, offset=0)
        rest = await uow.sessions.for_user(user.id, limit=3, offset=3)
        nobody = await uow.sessions.for_user(uuid4(), limit=3, offset=0)
    assert (first.total, rest.total, nobody.total) == (5, 5, 0)
    assert [*first.items, *rest.items] == mine[::-1]
    assert nobody.items == ()


async def test_count_live_counts_unrevoked_unexpired_sessions(backend: Backend) -> None:
    user = make_user()
    sessions = [
        make_session(user),
        make_session(user, expires_at=NOW + timedelta(microseconds=1)),
        make_session(user, expires_at=NOW),  # expires at this very instant: not live
        make_session(user, expires_at=NOW - timedelta(seconds=1)),
        make_session(user, revoked_at=NOW - timedelta(seconds=1)),
    ]
    async with committed(backend) as uow:
        await uow.users.add(user)
        for session in sessions:
            await uow.sessions.add(session)
    async with backend.unit_of_work() as uow:
        assert await uow.sessions.count_live(NOW) == 2
        assert await uow.sessions.count_live(NOW - timedelta(days=1)) == 4
        assert await uow.sessions.count_live(NOW + timedelta(days=1)) == 0


async def test_live_lists_every_users_live_sessions_newest_first(backend: Backend) -> None:
    """The console's Sessions page: unrevoked, unexpired sessions of all users, paged."""
    alice, bob = make_user(), make_user()
    live = [
        make_session(alice, created_at=NOW - timedelta(minutes=3)),
        make_session(bob, created_at=NOW - timedelta(minutes=2)),
        make_session(alice, created_at=NOW - timedelta(minutes=1)),
    ]
    ended = [
        make_session(bob, expires_at=NOW),
        make_session(alice, revoked_at=NOW - timedelta(seconds=1)),
    ]
    async with committed(backend) as uow:
        await uow.users.add(alice)
        await uow.users.add(bob)
        for session in [*live, *ended]:
            await uow.sessions.add(session)
    async with backend.unit_of_work() as uow:
        first = await uow.sessions.live(NOW, limit=2, offset=0)
        rest = await uow.sessions.live(NOW, limit=2, offset=2)
    assert (first.total, rest.total) == (3, 3)
    assert [*first.items, *rest.items] == live[::-1]


@pytest.mark.parametrize("backend_url", DIALECTS, indirect=True)
async def test_deleting_a_user_row_deletes_its_sessions(backend: Backend) -> None:
    """An operator's `DELETE FROM users …` cascades to the sessions (SQL only: through the
    ports users are only soft-deleted)."""
    assert backend.database is not None
    user, other = make_user(), make_user()
    session, kept = make_session(user), make_session(other)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        await uow.sessions.add(session)
        await uow.sessions.add(kept)
    async with backend.database.transaction() as conn:
        await conn.execute(delete(schema.users).where(schema.users.c.id == user.id))
    async with backend.unit_of_work() as uow:
        assert await uow.sessions.get(session.id) is None
        assert await uow.sessions.by_token_hash(session.token_hash) is None
        assert await uow.sessions.get(kept.id) == kept


# --- AuditLog ----------------------------------------------------------------------------------


async def test_appended_events_come_back_newest_first_with_ids(backend: Backend) -> None:
    """Newest first by created_at; events of the same instant newest (highest id) first."""
    events = [
        make_event(event_type="user_created", created_at=NOW - timedelta(minutes=1)),
        make_event(event_type="login_failed"),
        make_event(event_type="logout"),
        make_event(event_type="account_locked", created_at=NOW + timedelta(microseconds=1)),
    ]
    async with committed(backend) as uow:
        for event in events:
            await uow.audit.append(event)
    async with backend.unit_of_work() as uow:
        page = await uow.audit.search(AuditFilter(), limit=10, offset=0)
    assert page.total == 4
    ids = [event.id or 0 for event in page.items]
    assert all(isinstance(event.id, int) for event in page.items)
    assert [e.event_type for e in page.items] == [
        "account_locked",
        "logout",
        "login_failed",
        "user_created",
    ]
    assert ids[1] > ids[2]  # logout was appended after login_failed at the same instant
    assert [replace(e, id=None) for e in page.items] == [events[3], events[2], events[1], events[0]]
    assert_utc(*(e.created_at for e in page.items))


async def test_an_event_round_trips_every_column(backend: Backend) -> None:
    event = make_event(
        event_type="user_updated",
        actor="admin@example.com",
        actor_role="admin",
        email="ada@example.com",
        resource="/api/v1/users/0b6c3c1e-2f37-4c1c-9d64-8f2d8e6c1a11",
        action="update",
        result="success",
        ip="198.51.100.7",
        user_agent="curl/8.5.0",
        correlation_id="req-123.abc_DEF",
        details={"changed": ["role", "name"], "from": {"role": None}, "note": "Zoë ✓", "n": 2.5},
        created_at=datetime(2026, 1, 3, 13, 0, 0, 999999, tzinfo=PLUS_TWO),
    )
    async with committed(backend) as uow:
        await uow.audit.append(event)
    async with backend.unit_of_work() as uow:
        (found,) = (await uow.audit.search(AuditFilter(), limit=1, offset=0)).items
    assert found.id is not None
    assert replace(found, id=None) == event
    assert found.details == event.details


async def test_audit_search_filters_by_type_actor_and_since(backend: Backend) -> None:
    """`since` is inclusive; filters combine with AND."""
    old_fail = make_event(event_type="login_failed", email="a@x.io", created_at=NOW - timedelta(1))
    fail = make_event(event_type="login_failed", email="a@x.io", created_at=NOW)
    admin = make_event(
        event_type="user_deleted", actor="root@x.io", actor_role="admin", created_at=NOW
    )
    admin_old = make_event(
        event_type="user_created",
        actor="root@x.io",
        actor_role="admin",
        created_at=NOW - timedelta(1),
    )
    async with committed(backend) as uow:
        for event in (old_fail, fail, admin, admin_old):
            await uow.audit.append(event)

    async def search(**where: Any) -> list[AuditEvent]:
        async with backend.unit_of_work() as uow:
            page = await uow.audit.search(AuditFilter(**where), limit=10, offset=0)
        assert page.total == len(page.items)
        return [replace(e, id=None) for e in page.items]

    assert await search(event_type="login_failed") == [fail, old_fail]
    assert await search(actor="root@x.io") == [admin, admin_old]
    assert await search(since=NOW) == [admin, fail]  # same instant: appended last, first
    assert await search(event_type="login_failed", since=NOW) == [fail]
    assert await search(actor="root@x.io", event_type="user_created") == [admin_old]
    assert await search(actor="nobody") == []


async def test_audit_pseudonymise_replaces_the_address_in_email_and_actor(
    backend: Backend,
) -> None:
    """Erasure: every row naming the address (any case) in `email` or `actor` takes the
    pseudonym there; other columns and other addresses are untouched; it commits with the unit."""
    named = make_event(email="alice@example.com", actor=str(uuid4()), resource="user:1")
    failed = make_event(
        event_type="login_failed", email="Alice@Example.com", actor="alice@example.com"
    )
    other = make_event(email="bob@example.com", actor="alice@example.com.evil")
    async with committed(backend) as uow:
        for event in (named, failed, other):
            await uow.audit.append(event)
    pseudonym = "erased-1@erased.invalid"
    async with committed(backend) as uow:
        assert await uow.audit.pseudonymise("ALICE@example.com", pseudonym) == 2
    async with backend.unit_of_work() as uow:
        rows = (await uow.audit.search(AuditFilter(), limit=10, offset=0)).items
    found = sorted((replace(e, id=None) for e in rows), key=repr)
    assert found == sorted(
        (
            replace(named, email=pseudonym),
            replace(failed, email=pseudonym, actor=pseudonym),
            other,
        ),
        key=repr,
    )


async def test_audit_pseudonymise_rolls_back_with_the_unit(backend: Backend) -> None:
    event = make_event(email="alice@example.com")
    async with committed(backend) as uow:
        await uow.audit.append(event)
    async with backend.unit_of_work() as uow:
        assert await uow.audit.pseudonymise("alice@example.com", "erased@erased.invalid") == 1
    async with backend.unit_of_work() as uow:
        (found,) = (await uow.audit.search(AuditFilter(), limit=10, offset=0)).items
    assert found.email == "alice@example.com"


async def test_audit_search_pages_with_total(backend: Backend) -> None:
    events = [make_event(created_at=NOW + timedelta(seconds=i)) for i in range(5)]
    async with committed(backend) as uow:
        for event in events:
            await uow.audit.append(event)
    async with backend.unit_of_work() as uow:
        first = await uow.audit.search(AuditFilter(), limit=2, offset=0)
        last = await uow.audit.search(AuditFilter(), limit=2, offset=4)
    assert (first.total, last.total) == (5, 5)
    assert [e.created_at for e in (*first.items, *last.items)] == [
        events[4].created_at,
        events[3].created_at,
        events[0].created_at,
    ]


# --- BackupCodes -------------------------------------------------------------------------------


async def test_replaced_codes_read_back_as_unused_each_with_its_own_id(backend: Backend) -> None:
    user, other = make_user(), make_user()
    mine, theirs = code_hashes("a", "b", "c"), code_hashes("a", "z")
    await add_users(backend, user, other)
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, mine, NOW)
        await uow.backup_codes.replace(other.id, theirs, NOW)
    async with backend.unit_of_work() as uow:
        unused = await uow.backup_codes.unused(user.id)
        assert set(await uow.backup_codes.unused(other.id)) == set(theirs)
        assert await uow.backup_codes.unused(uuid4()) == {}
    assert set(unused) == set(mine)
    assert len(set(unused.values())) == 3
    assert all(isinstance(code_id, UUID) for code_id in unused.values())


async def test_replace_drops_every_earlier_code_used_or_not(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, code_hashes("old-1", "old-2"), NOW)
    async with committed(backend) as uow:
        earlier = await uow.backup_codes.unused(user.id)
        assert await uow.backup_codes.use(earlier[code_hashes("old-1")[0]], NOW)
        await uow.backup_codes.replace(user.id, code_hashes("old-2", "new"), NOW)
    async with backend.unit_of_work() as uow:
        now_unused = await uow.backup_codes.unused(user.id)
        assert set(now_unused) == set(code_hashes("old-2", "new"))
        assert not set(now_unused.values()) & set(earlier.values())
        assert not await uow.backup_codes.use(earlier[code_hashes("old-2")[0]], NOW)


async def test_use_is_true_once_then_false(backend: Backend) -> None:
    """A code is spent once; spending it again, in the same unit or a later one, is False."""
    user = make_user()
    await add_users(backend, user)
    spent, kept = code_hashes("spent", "kept")
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, [spent, kept], NOW)
    async with committed(backend) as uow:
        codes = await uow.backup_codes.unused(user.id)
        assert await uow.backup_codes.use(codes[spent], NOW) is True
        assert await uow.backup_codes.use(codes[spent], NOW) is False
        assert await uow.backup_codes.unused(user.id) == {kept: codes[kept]}
    async with backend.unit_of_work() as uow:
        assert await uow.backup_codes.use(codes[spent], NOW + timedelta(1)) is False
        assert await uow.backup_codes.use(uuid4(), NOW) is False
        assert await uow.backup_codes.unused(user.id) == {kept: codes[kept]}


async def test_a_use_rolls_back_with_its_unit(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, code_hashes("one"), NOW)
    async with backend.unit_of_work() as uow:
        codes = await uow.backup_codes.unused(user.id)
        assert await uow.backup_codes.use(codes[code_hashes("one")[0]], NOW)
    async with backend.unit_of_work() as uow:
        assert await uow.backup_codes.unused(user.id) == codes


async def test_replace_with_no_codes_deletes_them_all(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, code_hashes("a", "b"), NOW)
    async with committed(backend) as uow:
        codes = await uow.backup_codes.unused(user.id)
        assert await uow.backup_codes.use(codes[code_hashes("a")[0]], NOW)
        await uow.backup_codes.replace(user.id, [], NOW)
        await uow.backup_codes.replace(user.id, [], NOW)  # none left: still fine
    async with backend.unit_of_work() as uow:
        assert await uow.backup_codes.unused(user.id) == {}
        for code_id in codes.values():
            assert await uow.backup_codes.use(code_id, NOW) is False


@pytest.mark.parametrize("first_commits", [True, False])
async def test_of_two_concurrent_uses_of_a_code_one_wins(
    backend: Backend, first_commits: bool
) -> None:
    """Two logins with the same code at once: the second `use` waits for the first's unit,
    then is False if that unit committed — True if it rolled back."""
    user = make_user()
    await add_users(backend, user)
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, code_hashes("contested"), NOW)
        (code_id,) = (await uow.backup_codes.unused(user.id)).values()

    async def second_login() -> bool:
        async with committed(backend) as uow:
            return await uow.backup_codes.use(code_id, NOW + timedelta(seconds=1))

    async with backend.unit_of_work() as first:
        assert await first.backup_codes.use(code_id, NOW)
        second = asyncio.create_task(second_login())
        # Long enough for the second to reach its wait (were it to get further, the assertion
        # below fails, whatever the timing), short of SQLite's 5-second busy timeout.
        await asyncio.wait({second}, timeout=0.3)
        assert not second.done()
        if first_commits:
            await first.commit()
    assert await second is not first_commits
    async with backend.unit_of_work() as uow:
        assert await uow.backup_codes.unused(user.id) == {}


async def test_replace_refuses_a_repeated_code(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        with pytest.raises((KeyError, IntegrityError)):
            await uow.backup_codes.replace(user.id, code_hashes("same", "same"), NOW)


async def test_replace_for_an_unknown_user_is_an_error(backend: Backend) -> None:
    async with backend.unit_of_work() as uow:
        with pytest.raises((KeyError, IntegrityError)):
            await uow.backup_codes.replace(uuid4(), code_hashes("a"), NOW)


async def test_replace_refuses_anything_but_a_sha256_hex(backend: Backend) -> None:
    """A raw code stored by mistake (not 64 characters) is refused by the schema itself
    (MariaDB reports the failed CHECK as an `OperationalError`)."""
    user = make_user()
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        with pytest.raises((ValueError, DBAPIError)):
            await uow.backup_codes.replace(user.id, ["ABCD-EFGH-2345"], NOW)


async def test_backup_code_timestamps_must_be_aware(backend: Backend) -> None:
    user = make_user()
    await add_users(backend, user)
    async with backend.unit_of_work() as uow:
        with pytest.raises((ValueError, StatementError)):
            await uow.backup_codes.replace(user.id, code_hashes("a"), NOW.replace(tzinfo=None))


@pytest.mark.parametrize("backend_url", DIALECTS, indirect=True)
async def test_deleting_a_user_row_deletes_its_backup_codes(backend: Backend) -> None:
    """An operator's `DELETE FROM users …` cascades to the codes (SQL only, as for sessions)."""
    assert backend.database is not None
    user, other = make_user(), make_user()
    await add_users(backend, user, other)
    async with committed(backend) as uow:
        await uow.backup_codes.replace(user.id, code_hashes("a", "b"), NOW)
        await uow.backup_codes.replace(other.id, code_hashes("a"), NOW)
    codes = schema.mfa_backup_codes
    async with backend.database.transaction() as conn:
        await conn.execute(delete(schema.users).where(schema.users.c.id == user.id))
        rows = select(codes.c.user_id, func.count()).group_by(codes.c.user_id)
        assert [tuple(row) for row in await conn.execute(rows)] == [(other.id, 1)]


# --- UnitOfWork --------------------------------------------------------------------------------


async def test_commit_makes_the_change_and_its_audit_row_durable(backend: Backend) -> None:
    user = make_user()
    async with backend.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.audit.append(make_event(event_type="user_created", email=user.email))
        await uow.commit()
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        assert (await uow.audit.search(AuditFilter(), limit=10, offset=0)).total == 1


async def test_a_unit_reads_its_own_uncommitted_writes(backend: Backend) -> None:
    user = make_user()
    async with backend.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.audit.append(make_event())
        assert await uow.users.by_email(user.email.upper()) == user
        assert (await uow.audit.search(AuditFilter(), limit=10, offset=0)).total == 1


async def test_leaving_without_commit_rolls_back_change_and_audit(backend: Backend) -> None:
    user = make_user()
    async with backend.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.audit.append(make_event(event_type="user_created"))
    await assert_nothing_written(backend, user.id)


async def test_an_exception_rolls_back_change_and_audit(backend: Backend) -> None:
    user = make_user()

    async def add_then_fail() -> None:
        async with backend.unit_of_work() as uow:
            await uow.users.add(user)
            await uow.audit.append(make_event(event_type="user_created"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()
    await assert_nothing_written(backend, user.id)


async def test_an_update_and_its_audit_roll_back_together(backend: Backend) -> None:
    user = make_user()
    session = make_session(user)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.sessions.add(session)

    async def deactivate_then_fail() -> None:
        async with backend.unit_of_work() as uow:
            await uow.users.save(replace(user, active=False, updated_at=NOW + timedelta(1)))
            await uow.sessions.revoke_for_user(user.id, NOW)
            await uow.audit.append(make_event(event_type="user_updated"))
            raise RuntimeError("after the writes")

    with pytest.raises(RuntimeError, match="after the writes"):
        await deactivate_then_fail()
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.sessions.get(session.id) == session
        assert (await uow.audit.search(AuditFilter(), limit=10, offset=0)).total == 0


async def test_work_committed_before_an_exception_stays(backend: Backend) -> None:
    user = make_user()

    async def commit_then_fail() -> None:
        async with backend.unit_of_work() as uow:
            await uow.users.add(user)
            await uow.commit()
            raise RuntimeError("after commit")

    with pytest.raises(RuntimeError, match="after commit"):
        await commit_then_fail()
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user.id) == user


async def assert_nothing_written(backend: Backend, user_id: UUID) -> None:
    async with backend.unit_of_work() as uow:
        assert await uow.users.get(user_id) is None
        assert (await uow.audit.search(AuditFilter(), limit=10, offset=0)).total == 0


# --- Readers -----------------------------------------------------------------------------------


async def test_readers_see_what_units_committed(backend: Backend) -> None:
    user = make_user(email="ada@example.com")
    session = make_session(user)
    async with committed(backend) as uow:
        await uow.users.add(user)
        await uow.sessions.add(session)
        await uow.audit.append(make_event(event_type="mfa_enabled", email=user.email))
        await uow.backup_codes.replace(user.id, code_hashes("a", "b"), NOW)
    async with backend.readers() as read:
        assert await read.users.get(user.id) == user
        assert await read.users.by_email("ADA@example.com") == user
        assert await read.sessions.with_user(session.id) == (session, user)
        assert await read.sessions.count_live(NOW) == 1
        events = await read.audit.search(AuditFilter(), limit=10, offset=0)
        assert [e.event_type for e in events.items] == ["mfa_enabled"]
        assert set(await read.backup_codes.unused(user.id)) == set(code_hashes("a", "b"))


async def test_readers_never_see_an_open_units_writes(backend: Backend) -> None:
    """Readers started while a unit has written but not committed read the state before the
    unit, however the database orders the two: servers answer at once (other connections
    do not see uncommitted rows), while SQLite, which locks the whole database for a
    transaction, makes the read wait until the unit has ended — here with a rollback."""
    user = make_user()
    session = make_session(user)
    await add_users(backend, user)

    async def read() -> tuple[Any, ...]:
        async with backend.readers() as read:
            return (
                await read.users.get(user.id),
                await read.sessions.get(session.id),
                await read.backup_codes.unused(user.id),
                (await read.audit.search(AuditFilter(), limit=10, offset=0)).total,
            )

    async with backend.unit_of_work() as uow:
        await uow.users.save(replace(user, name="Uncommitted", updated_at=NOW + timedelta(1)))
        await uow.sessions.add(session)
        await uow.backup_codes.replace(user.id, code_hashes("a"), NOW)
        await uow.audit.append(make_event(event_type="mfa_enabled"))
        reading = asyncio.create_task(read())
        # Servers finish here; SQLite waits out the timeout (under its 5-second busy timeout).
        await asyncio.wait({reading}, timeout=0.3)
    assert await reading == (user, None, {}, 0)
