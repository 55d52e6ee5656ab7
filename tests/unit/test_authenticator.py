"""`Authenticator` (per-request authentication) against the in-memory fakes: a token and a
live session make a principal; everything else is `Unauthenticated` with the reason logged;
`last_seen_at` is written at most once a minute; concurrent misses share one read."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from boundary.kernel.errors import Unauthenticated
from boundary.user.core import sessions, tokens
from boundary.user.core.model import Session, User
from boundary.user.shell.authn import Authenticator
from tests.fakes.builders import NOW, make_user
from tests.fakes.clock import FixedClock
from tests.fakes.crypto import FakeTokens
from tests.fakes.logging import RecordingLogger
from tests.fakes.user_repositories import FakeReaders, FakeUserStore

pytestmark = pytest.mark.anyio

RAW_SESSION_TOKEN = "raw-session-token-of-the-console"


@dataclasses.dataclass
class World:
    store: FakeUserStore
    clock: FixedClock
    codec: FakeTokens
    logger: RecordingLogger
    authenticator: Authenticator
    reads: int = 0

    async def add(self, user: User, raw: str | None = None, **session_fields: Any) -> Session:
        """`user` and a new session of theirs (its raw token `raw`, else a random one)."""
        session_id = uuid.uuid4()
        session = sessions.new_session(
            id=session_id,
            user_id=user.id,
            token_hash=sessions.hash_token(raw or session_id.hex),
            now=self.clock.now(),
            ttl_seconds=3600,
            ip=None,
            user_agent=None,
        )
        session = dataclasses.replace(session, **session_fields)
        async with self.store.unit_of_work() as unit:
            await unit.users.add(user)
            await unit.sessions.add(session)
            await unit.commit()
        return session

    def token(self, user: User, session: Session, **overrides: object) -> str:
        claims = tokens.access_claims(
            user_id=user.id,
            session_id=session.id,
            role=user.role,
            now=self.clock.now(),
            ttl_seconds=900,
            jti="jti-1",
        )
        return self.codec.sign(claims | overrides)

    async def refused(self, bearer: str) -> str:
        with pytest.raises(Unauthenticated) as refusal:
            await self.authenticator.authenticate(bearer)
        return refusal.value.reason


@pytest.fixture
def world() -> World:
    store, clock, logger = FakeUserStore(), FixedClock(), RecordingLogger()
    codec = FakeTokens(clock=clock.timestamp)
    holder: list[World] = []

    @asynccontextmanager
    async def counting_readers() -> AsyncIterator[FakeReaders]:
        holder[0].reads += 1
        async with store.readers() as readers:
            yield readers

    authenticator = Authenticator(
        codec=codec,
        readers=counting_readers,
        units=store.unit_of_work,
        clock=clock,
        logger=logger,
    )
    holder.append(World(store, clock, codec, logger, authenticator))
    return holder[0]


async def test_a_token_of_a_live_session_is_its_principal(world: World) -> None:
    user = make_user()
    session = await world.add(user)

    principal = await world.authenticator.authenticate(world.token(user, session))

    assert principal.user == user
    assert principal.session.id == session.id
    assert principal.actor.user_id == user.id


async def test_a_token_that_does_not_verify_is_refused(world: World) -> None:
    user = make_user()
    session = await world.add(user)
    foreign = FakeTokens("another secret", clock=world.clock.timestamp)

    assert await world.refused("garbage") == "invalid_token"
    assert await world.refused(foreign.sign({"sub": "x", "jti": "j", "iat": 0, "exp": 1})) == (
        "invalid_token"
    )
    assert (
        await world.refused(world.token(user, session, token_type="refresh")) == "wrong_token_type"
    )
    assert world.logger.events[-1] == (
        "debug",
        "Authentication refused",
        {"reason": "wrong_token_type"},
    )


async def test_the_session_and_user_must_still_be_usable(world: World) -> None:
    cases: list[tuple[dict[str, Any], dict[str, Any], str]] = [
        ({}, {"revoked_at": NOW}, "revoked"),
        ({"active": False}, {}, "user_inactive"),
        ({"deleted_at": NOW}, {}, "user_deleted"),
    ]
    for user_fields, session_fields, reason in cases:
        user = make_user(**user_fields)
        session = await world.add(user, **session_fields)
        assert await world.refused(world.token(user, session)) == reason


async def test_a_role_change_stops_older_tokens(world: World) -> None:
    user = make_user(role="admin")
    session = await world.add(user)
    token = world.token(user, session)
    async with world.store.unit_of_work() as unit:
        await unit.users.save(dataclasses.replace(user, role="user"))
        await unit.commit()

    assert await world.refused(token) == "role_changed"


async def test_a_token_naming_another_users_session_is_refused(world: World) -> None:
    owner, other = make_user(), make_user()
    session = await world.add(owner)
    await world.add(other)

    assert await world.refused(world.token(other, session)) == "subject_mismatch"


async def test_an_expired_token_or_session_is_refused(world: World) -> None:
    user = make_user()
    session = await world.add(user)
    token = world.token(user, session)
    world.clock.advance(seconds=900)
    assert await world.refused(token) == "invalid_token"  # the codec's expiry comes first

    world.clock.advance(seconds=2700)
    assert await world.refused(world.token(user, session)) == "expired"  # the session's


async def test_last_seen_is_written_at_most_once_a_minute(world: World) -> None:
    user = make_user()
    session = await world.add(user)
    commits = world.store.commits

    world.clock.advance(seconds=30)
    await world.authenticator.authenticate(world.token(user, session))
    assert world.store.commits == commits
    assert world.store.sessions[session.id].last_seen_at == NOW

    world.clock.advance(seconds=30)
    principal = await world.authenticator.authenticate(world.token(user, session))
    assert world.store.commits == commits + 1
    assert world.store.sessions[session.id].last_seen_at == NOW + timedelta(seconds=60)
    assert principal.session.last_seen_at == NOW + timedelta(seconds=60)


async def test_concurrent_requests_with_one_session_share_one_read(world: World) -> None:
    user = make_user()
    session = await world.add(user)
    token = world.token(user, session)

    principals = await asyncio.gather(*(world.authenticator.authenticate(token) for _ in range(20)))

    assert {p.session.id for p in principals} == {session.id}
    assert world.reads == 1


async def test_a_console_session_token_is_its_principal_until_idle(world: World) -> None:
    user = make_user()
    session = await world.add(user, RAW_SESSION_TOKEN)

    principal = await world.authenticator.authenticate_session_token(
        RAW_SESSION_TOKEN, idle_seconds=600
    )
    assert (principal.user.id, principal.session.id) == (user.id, session.id)

    world.clock.advance(seconds=601)
    with pytest.raises(Unauthenticated) as idle:
        await world.authenticator.authenticate_session_token(RAW_SESSION_TOKEN, idle_seconds=600)
    assert idle.value.reason == "idle"

    with pytest.raises(Unauthenticated) as unknown:
        await world.authenticator.authenticate_session_token("no such token", idle_seconds=600)
    assert unknown.value.reason == "not_found"
