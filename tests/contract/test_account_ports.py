"""Contract of the account ports — AccountTokens, Mailbox and the account unit — for every
adapter.

Each test runs against the in-memory fake (`tests/fakes/account.py`) and the SQL adapters
(`account.shell.unit`) on SQLite, PostgreSQL and MySQL/MariaDB, each on a fresh database
migrated with the project's migration runner. The user repositories of the same unit are the
user ports' contract (`test_user_repositories.py`); here they only set the scene, except where
the account unit writes a user row (`mark_email_verified`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from boundary.account.core import AccountToken, hash_token
from boundary.account.ports import AccountUnit, AccountUnitFactory
from boundary.account.shell.unit import account_unit_factory
from boundary.db.shell.engine import Database
from boundary.mail.core import Message
from boundary.mail.shell.outbox import Outbox
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.user.core.model import AuditEvent, AuditFilter, User
from tests.conftest import FreshDatabase
from tests.fakes import builders
from tests.fakes.account import FakeAccountStore, QueuedMail
from tests.fakes.builders import NOW_PRECISE as NOW
from tests.support.databases import DIALECTS, start_from_migrated_sqlite

pytestmark = pytest.mark.anyio

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
PLUS_TWO = timezone(timedelta(hours=2))
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Backend:
    """One adapter under test: its account-unit factory, and how to read the committed
    outbox (the port only writes to it)."""

    name: str
    units: AccountUnitFactory
    queued: Callable[[], Awaitable[list[QueuedMail]]]


@pytest.fixture(params=("fake", *DIALECTS))
def backend_url(request: pytest.FixtureRequest, fresh_database: FreshDatabase) -> str | None:
    """None for the fake, else a fresh database of the parameter's dialect."""
    return None if request.param == "fake" else fresh_database(request.param)


@pytest.fixture
async def backend(backend_url: str | None) -> AsyncIterator[Backend]:
    if backend_url is None:
        store = FakeAccountStore()

        async def fake_queued() -> list[QueuedMail]:
            return sorted(store.outbox, key=lambda mail: str(mail.id))

        yield Backend("fake", store.account_unit, fake_queued)
        return
    await start_from_migrated_sqlite(backend_url, MIGRATIONS)
    database = Database(
        backend_url,
        pool_size=2,
        pool_timeout_ms=5000,
        metrics=NoopMetrics(),
        logger=get_logger("test.account"),
    )

    async def sql_queued() -> list[QueuedMail]:
        """The due messages as the sender's own claim reads them (a zero lease leaves them
        due, so a test may look twice)."""
        claimed = await Outbox(database).claim(now=NOW + 365 * DAY, lease=0, limit=1000)
        mails = [
            QueuedMail(id=UUID(mail.id), message=mail.message, queued_at=mail.created_at)
            for mail in claimed
        ]
        return sorted(mails, key=lambda mail: str(mail.id))

    try:
        await MigrationRunner(database, MIGRATIONS).migrate()
        yield Backend(database.dialect, account_unit_factory(database), sql_queued)
    finally:
        await database.close()


@asynccontextmanager
async def committed(backend: Backend) -> AsyncIterator[AccountUnit]:
    """An account unit committed when the block ends without an exception."""
    async with backend.units() as unit:
        yield unit
        await unit.commit()


make_user = partial(builders.make_user, created_at=NOW, updated_at=NOW)


def make_token(user: User, **overrides: object) -> AccountToken:
    values = {"created_at": NOW, "expires_at": NOW + HOUR}
    return builders.make_account_token(user, **(values | overrides))


def message(recipient: str = "ada@example.com", n: int = 1) -> Message:
    return Message(
        kind="password_reset",
        recipient=recipient,
        subject="Reset your Boundary password",
        text=f"Zoë, follow https://id.example.org/account/reset-password?token=t{n}",
        html=f"<p>Zoë, <a href='https://id.example.org/account/reset-password?token=t{n}'>",
    )


async def add_users(backend: Backend, *users: User) -> None:
    async with committed(backend) as unit:
        for user in users:
            await unit.users.add(user)


async def add_tokens(backend: Backend, *tokens: AccountToken) -> None:
    async with committed(backend) as unit:
        for token in tokens:
            await unit.tokens.add(token)


async def read_token(backend: Backend, token: AccountToken) -> AccountToken | None:
    async with backend.units() as unit:
        return await unit.tokens.by_hash(token.token_hash)


async def read_user(backend: Backend, user: User) -> User | None:
    async with backend.units() as unit:
        return await unit.users.get(user.id)


def assert_utc(*values: datetime | None) -> None:
    for value in values:
        assert value is not None
        assert value.utcoffset() == timedelta(0)


# --- AccountTokens: storing and reading --------------------------------------------------------


async def test_an_added_token_reads_back_by_its_hash_with_every_column(backend: Backend) -> None:
    """Timestamps come back aware, in UTC, to the microsecond, whatever zone they were in."""
    user = make_user(email="ada@example.com")
    await add_users(backend, user)
    fresh = make_token(
        user,
        kind="email_verification",
        email="Ada@Example.com",
        created_at=datetime(2026, 1, 3, 14, 0, 0, 654321, tzinfo=PLUS_TWO),
        expires_at=NOW + timedelta(days=1, microseconds=1),
    )
    spent = make_token(user, used_at=NOW + timedelta(minutes=5))
    await add_tokens(backend, fresh, spent)
    found_fresh, found_spent = await read_token(backend, fresh), await read_token(backend, spent)
    assert (found_fresh, found_spent) == (fresh, spent)
    assert found_fresh is not None
    assert found_spent is not None
    assert found_fresh.created_at.microsecond == 654321
    assert_utc(found_fresh.created_at, found_fresh.expires_at, found_spent.used_at)
    assert found_fresh.used_at is None


async def test_a_hash_matches_only_exactly(backend: Backend) -> None:
    """Hashes are lower-case hex; another hash, or the same one upper-cased, finds nothing."""
    user = make_user()
    token = make_token(user)
    await add_users(backend, user)
    await add_tokens(backend, token)
    async with backend.units() as unit:
        assert await unit.tokens.by_hash(token.token_hash.upper()) is None
        assert await unit.tokens.by_hash(hash_token("another")) is None
        assert await unit.tokens.by_hash(token.token_hash, lock=True) == token


async def test_a_token_needs_its_user(backend: Backend) -> None:
    async with backend.units() as unit:
        with pytest.raises((KeyError, IntegrityError)):
            await unit.tokens.add(make_token(make_user()))


@pytest.mark.parametrize("field", ["token_hash", "id"])
async def test_a_hash_and_an_id_are_stored_once(backend: Backend, field: str) -> None:
    """A second token sharing only `field` with the first is refused."""
    user = make_user()
    first = make_token(user)
    await add_users(backend, user)
    await add_tokens(backend, first)
    others = {"token_hash": hash_token("other"), "id": uuid4()}
    second = make_token(user, **(others | {field: getattr(first, field)}))
    async with backend.units() as unit:
        with pytest.raises((KeyError, IntegrityError)):
            await unit.tokens.add(second)


async def test_only_a_sha256_hex_is_stored(backend: Backend) -> None:
    """A raw token stored by mistake (not 64 characters) is refused by the schema itself
    (MariaDB reports the failed CHECK as an `OperationalError`)."""
    user = make_user()
    await add_users(backend, user)
    async with backend.units() as unit:
        with pytest.raises((ValueError, DBAPIError)):
            await unit.tokens.add(make_token(user, token_hash="raw-token-in-the-clear"))


@pytest.mark.parametrize("field", ["created_at", "expires_at", "used_at"])
async def test_naive_token_timestamps_are_refused(backend: Backend, field: str) -> None:
    user = make_user()
    await add_users(backend, user)
    async with backend.units() as unit:
        with pytest.raises((ValueError, StatementError)) as raised:
            await unit.tokens.add(make_token(user, **{field: NOW.replace(tzinfo=None)}))
    error = raised.value
    assert isinstance(error, ValueError) or isinstance(getattr(error, "orig", None), ValueError)


async def test_a_unit_sees_its_own_uncommitted_tokens(backend: Backend) -> None:
    user = make_user()
    token = make_token(user)
    await add_users(backend, user)
    async with backend.units() as unit:
        await unit.tokens.add(token)
        assert await unit.tokens.by_hash(token.token_hash) == token
        assert await unit.tokens.recent_count(user.id, "password_reset", NOW - HOUR) == 1
    assert await read_token(backend, token) is None


# --- AccountTokens: the hourly count, spending, voiding, pruning -------------------------------


async def test_recent_count_counts_the_users_tokens_of_the_kind_issued_after_since(
    backend: Backend,
) -> None:
    """Spent and voided tokens count (each was a mail); one issued exactly at `since` does not,
    nor another user's, nor another kind."""
    user, other = make_user(), make_user()
    since = NOW - HOUR
    await add_users(backend, user, other)
    await add_tokens(
        backend,
        make_token(user, created_at=since - timedelta(minutes=1)),
        make_token(user, created_at=since),
        make_token(user, created_at=since + timedelta(microseconds=1)),
        make_token(user, created_at=NOW - timedelta(minutes=5), used_at=NOW),
        make_token(user, created_at=NOW),
        make_token(user, kind="email_verification"),
        make_token(other),
    )
    async with backend.units() as unit:
        assert await unit.tokens.recent_count(user.id, "password_reset", since) == 3
        assert await unit.tokens.recent_count(user.id, "email_verification", since) == 1
        assert await unit.tokens.recent_count(other.id, "password_reset", since) == 1
        assert await unit.tokens.recent_count(other.id, "email_verification", since) == 0
        assert await unit.tokens.recent_count(uuid4(), "password_reset", since) == 0
        assert await unit.tokens.recent_count(user.id, "password_reset", NOW) == 0


async def test_use_spends_a_token_once(backend: Backend) -> None:
    user = make_user()
    token = make_token(user)
    await add_users(backend, user)
    await add_tokens(backend, token)
    spent_at = NOW + timedelta(minutes=1)
    async with committed(backend) as unit:
        assert await unit.tokens.use(token.id, spent_at) is True
        assert await unit.tokens.use(token.id, spent_at + timedelta(seconds=1)) is False
    assert await read_token(backend, token) == replace(token, used_at=spent_at)
    async with committed(backend) as unit:
        assert await unit.tokens.use(token.id, NOW + HOUR) is False
        assert await unit.tokens.use(uuid4(), NOW) is False
    assert await read_token(backend, token) == replace(token, used_at=spent_at)


async def test_void_unused_spends_only_the_users_unused_tokens_of_the_kind(
    backend: Backend,
) -> None:
    user, other = make_user(), make_user()
    await add_users(backend, user, other)
    earlier_use = NOW - timedelta(minutes=10)
    unused = [make_token(user), make_token(user, created_at=NOW - timedelta(minutes=20))]
    spent = make_token(user, used_at=earlier_use)
    verification = make_token(user, kind="email_verification")
    others = make_token(other)
    await add_tokens(backend, *unused, spent, verification, others)
    voided_at = NOW + timedelta(seconds=30)
    async with committed(backend) as unit:
        assert await unit.tokens.void_unused(user.id, "password_reset", voided_at) == 2
    async with backend.units() as unit:
        for token in unused:
            assert await unit.tokens.by_hash(token.token_hash) == replace(token, used_at=voided_at)
        assert await unit.tokens.by_hash(spent.token_hash) == spent
        assert await unit.tokens.by_hash(verification.token_hash) == verification
        assert await unit.tokens.by_hash(others.token_hash) == others
    async with committed(backend) as unit:
        assert await unit.tokens.void_unused(user.id, "password_reset", NOW + HOUR) == 0
        assert await unit.tokens.void_unused(uuid4(), "password_reset", NOW) == 0
    assert await read_token(backend, unused[0]) == replace(unused[0], used_at=voided_at)


async def test_prune_deletes_the_tokens_expired_before_the_cutoff(backend: Backend) -> None:
    """Used or not; a token expiring exactly at the cutoff, or later, stays."""
    user = make_user()
    await add_users(backend, user)
    cutoff = NOW
    expired = [
        make_token(user, created_at=NOW - 3 * HOUR, expires_at=NOW - 2 * HOUR),
        make_token(
            user,
            created_at=NOW - 2 * HOUR,
            expires_at=cutoff - timedelta(microseconds=1),
            used_at=NOW - 2 * HOUR,
        ),
    ]
    kept = [
        make_token(user, created_at=NOW - HOUR, expires_at=cutoff),
        make_token(user, kind="email_verification", expires_at=NOW + timedelta(days=1)),
    ]
    await add_tokens(backend, *expired, *kept)
    async with committed(backend) as unit:
        assert await unit.tokens.prune(cutoff) == 2
    for token in expired:
        assert await read_token(backend, token) is None
    for token in kept:
        assert await read_token(backend, token) == token
    async with committed(backend) as unit:
        assert await unit.tokens.prune(cutoff) == 0


# --- AccountTokens.mark_email_verified ---------------------------------------------------------


async def test_mark_email_verified_while_the_address_is_still_the_users(backend: Backend) -> None:
    """The address compares ignoring case; the user's row records when, and is updated."""
    user = make_user(email="ada@example.com")
    await add_users(backend, user)
    at = NOW + timedelta(minutes=3)
    async with committed(backend) as unit:
        assert await unit.tokens.mark_email_verified(user.id, "ADA@Example.com", at) is True
    assert await read_user(backend, user) == replace(user, email_verified_at=at, updated_at=at)


async def test_mark_email_verified_for_another_address_or_user_changes_nothing(
    backend: Backend,
) -> None:
    user = make_user(email="ada@example.com")
    await add_users(backend, user)
    async with committed(backend) as unit:
        assert await unit.tokens.mark_email_verified(user.id, "ada@example.org", NOW) is False
        assert await unit.tokens.mark_email_verified(uuid4(), "ada@example.com", NOW) is False
    assert await read_user(backend, user) == user


async def test_an_address_changed_since_the_mail_is_not_verified(backend: Backend) -> None:
    user = make_user(email="old@example.com")
    await add_users(backend, user)
    moved = replace(user, email="new@example.com", updated_at=NOW + timedelta(seconds=1))
    async with committed(backend) as unit:
        await unit.users.save(moved)
    async with committed(backend) as unit:
        assert await unit.tokens.mark_email_verified(user.id, "old@example.com", NOW) is False
    assert await read_user(backend, user) == moved


async def test_the_verification_stays_with_the_address_and_goes_with_a_new_one(
    backend: Backend,
) -> None:
    """A save of the same address (in any case) keeps `email_verified_at`; a new one clears it."""
    user = make_user(email="ada@example.com")
    await add_users(backend, user)
    at = NOW + timedelta(minutes=1)
    async with committed(backend) as unit:
        assert await unit.tokens.mark_email_verified(user.id, user.email, at)
    renamed = replace(user, email="Ada@Example.com", name="Ada", updated_at=at)
    async with committed(backend) as unit:
        await unit.users.save(renamed)
    assert await read_user(backend, user) == replace(renamed, email_verified_at=at)
    moved = replace(renamed, email="ada@example.org")
    async with committed(backend) as unit:
        await unit.users.save(moved)
    assert await read_user(backend, user) == moved
    assert moved.email_verified_at is None


# --- Mailbox -----------------------------------------------------------------------------------


async def test_a_queued_message_is_kept_whole_with_its_time_in_utc(backend: Backend) -> None:
    first, second = uuid4(), uuid4()
    queued_at = datetime(2026, 1, 3, 14, 0, 0, 123456, tzinfo=PLUS_TWO)
    async with committed(backend) as unit:
        await unit.mail.enqueue(id=first, message=message(n=1), now=queued_at)
        await unit.mail.enqueue(id=second, message=message("bob@example.com", 2), now=NOW)
    expected = [
        QueuedMail(id=first, message=message(n=1), queued_at=queued_at),
        QueuedMail(id=second, message=message("bob@example.com", 2), queued_at=NOW),
    ]
    queued = await backend.queued()
    assert queued == sorted(expected, key=lambda mail: str(mail.id))
    assert_utc(*(mail.queued_at for mail in queued))


async def test_a_mail_id_is_queued_once(backend: Backend) -> None:
    mail_id = uuid4()
    async with committed(backend) as unit:
        await unit.mail.enqueue(id=mail_id, message=message(), now=NOW)
    async with backend.units() as unit:
        with pytest.raises((KeyError, IntegrityError)):
            await unit.mail.enqueue(id=mail_id, message=message(n=2), now=NOW)
    assert [mail.message for mail in await backend.queued()] == [message()]


async def test_a_naive_queue_time_is_refused(backend: Backend) -> None:
    async with backend.units() as unit:
        with pytest.raises((ValueError, StatementError)):
            await unit.mail.enqueue(id=uuid4(), message=message(), now=NOW.replace(tzinfo=None))


# --- AccountUnit: a token, its mail and the audit row commit together --------------------------


def requested(user: User) -> AuditEvent:
    return AuditEvent(
        event_type="password_reset_requested",
        action="request_password_reset",
        result="success",
        email=user.email,
        created_at=NOW,
    )


async def test_a_committed_unit_keeps_the_token_its_mail_and_the_audit_row(
    backend: Backend,
) -> None:
    user = make_user()
    token = make_token(user)
    mail_id = uuid4()
    await add_users(backend, user)
    async with backend.units() as unit:
        await unit.tokens.add(token)
        await unit.mail.enqueue(id=mail_id, message=message(user.email), now=NOW)
        await unit.audit.append(requested(user))
        await unit.commit()
    assert await read_token(backend, token) == token
    assert await backend.queued() == [
        QueuedMail(id=mail_id, message=message(user.email), queued_at=NOW)
    ]
    async with backend.units() as unit:
        audit = await unit.audit.search(AuditFilter(), limit=10, offset=0)
    assert [event.event_type for event in audit.items] == ["password_reset_requested"]


@pytest.mark.parametrize("raises", [True, False], ids=["raised", "no-commit"])
async def test_a_unit_that_raised_or_did_not_commit_keeps_none_of_them(
    backend: Backend, raises: bool
) -> None:
    user = make_user()
    token = make_token(user)
    await add_users(backend, user)

    async def issue() -> None:
        async with backend.units() as unit:
            await unit.tokens.add(token)
            await unit.mail.enqueue(id=uuid4(), message=message(user.email), now=NOW)
            await unit.audit.append(requested(user))
            if raises:
                raise RuntimeError("after the writes")

    if raises:
        with pytest.raises(RuntimeError, match="after the writes"):
            await issue()
    else:
        await issue()
    assert await read_token(backend, token) is None
    assert await backend.queued() == []
    async with backend.units() as unit:
        assert (await unit.audit.search(AuditFilter(), limit=10, offset=0)).total == 0
        assert await unit.tokens.recent_count(user.id, "password_reset", NOW - HOUR) == 0


async def test_spending_voiding_verifying_and_pruning_roll_back_with_the_unit(
    backend: Backend,
) -> None:
    user = make_user(email="ada@example.com")
    token = make_token(user)
    verification = make_token(user, kind="email_verification")
    expired = make_token(user, created_at=NOW - 3 * HOUR, expires_at=NOW - 2 * HOUR)
    await add_users(backend, user)
    await add_tokens(backend, token, verification, expired)

    async def redeem_then_fail() -> None:
        async with backend.units() as unit:
            assert await unit.tokens.use(token.id, NOW)
            assert await unit.tokens.void_unused(user.id, "email_verification", NOW) == 1
            assert await unit.tokens.mark_email_verified(user.id, user.email, NOW)
            assert await unit.tokens.prune(NOW) == 1
            raise RuntimeError("after the writes")

    with pytest.raises(RuntimeError, match="after the writes"):
        await redeem_then_fail()
    for kept in (token, verification, expired):
        assert await read_token(backend, kept) == kept
    assert await read_user(backend, user) == user


async def test_work_committed_before_an_exception_stays(backend: Backend) -> None:
    user = make_user()
    token = make_token(user)
    mail_id = uuid4()
    await add_users(backend, user)

    async def commit_then_fail() -> None:
        async with backend.units() as unit:
            await unit.tokens.add(token)
            await unit.mail.enqueue(id=mail_id, message=message(user.email), now=NOW)
            await unit.commit()
            await unit.tokens.use(token.id, NOW)
            raise RuntimeError("after commit")

    with pytest.raises(RuntimeError, match="after commit"):
        await commit_then_fail()
    assert await read_token(backend, token) == token
    assert [mail.id for mail in await backend.queued()] == [mail_id]


@pytest.mark.parametrize("first_commits", [True, False])
async def test_of_two_concurrent_redemptions_one_wins(
    backend: Backend, first_commits: bool
) -> None:
    """Two requests with the same link at once, as the service spends a token: a locking
    `by_hash`, then `use`. The second waits for the first's unit, then sees the token spent
    and cannot spend it if that unit committed — and spends it if it rolled back."""
    user = make_user()
    token = make_token(user)
    await add_users(backend, user)
    await add_tokens(backend, token)
    later = NOW + timedelta(seconds=1)

    async def second_redemption() -> tuple[datetime | None, bool]:
        async with committed(backend) as unit:
            found = await unit.tokens.by_hash(token.token_hash, lock=True)
            assert found is not None
            return found.used_at, await unit.tokens.use(found.id, later)

    async with backend.units() as first:
        assert await first.tokens.by_hash(token.token_hash, lock=True) == token
        assert await first.tokens.use(token.id, NOW)
        second = asyncio.create_task(second_redemption())
        # Long enough for the second to reach its wait (were it to get further, the assertion
        # below fails, whatever the timing), short of SQLite's 5-second busy timeout.
        await asyncio.wait({second}, timeout=0.3)
        assert not second.done()
        if first_commits:
            await first.commit()
    if first_commits:
        assert await second == (NOW, False)
        assert await read_token(backend, token) == replace(token, used_at=NOW)
    else:
        assert await second == (None, True)
        assert await read_token(backend, token) == replace(token, used_at=later)
