"""`AuthService` against the in-memory fakes, with a fixed clock and plain-text crypto fakes."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from boundary.user.core import mfa, sessions
from boundary.user.core.audit import RequestContext
from boundary.user.core.errors import (
    Conflict,
    Invalid,
    LoginRefused,
    MfaCodeRequired,
    TooManyAttempts,
    Unauthenticated,
)
from boundary.user.core.model import User
from boundary.user.shell.auth_service import AuthService
from boundary.user.shell.authn import Principal
from tests.fakes.builders import NOW
from tests.fakes.clock import FixedClock
from tests.fakes.crypto import FakeCodes, FakeTokens, PlainPasswords
from tests.fakes.deps import POLICY, fake_user_deps
from tests.fakes.logging import RecordingLogger
from tests.fakes.observability import RecordingMetrics
from tests.fakes.user_repositories import FakeUserStore

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery staple"
STEP = 30
OUTDATED_HASH = PlainPasswords.stored(PASSWORD, current=False)
"""The hash of `PASSWORD` made with parameters that have since risen."""


def totp_at(moment: datetime) -> str:
    """The fake authenticator's code for `moment`: its time step, as six digits."""
    return FakeCodes.code_at("", moment)


TOTP = totp_at(NOW)


def read_token(token: str) -> dict[str, Any]:
    claims = FakeTokens.read(token)
    assert claims is not None
    return claims


CTX = RequestContext(ip="192.0.2.1", user_agent="tests", correlation_id="c-1")


@dataclasses.dataclass
class World:
    store: FakeUserStore
    clock: FixedClock
    passwords: PlainPasswords
    metrics: RecordingMetrics
    logger: RecordingLogger
    service: AuthService

    async def add_user(self, **fields: Any) -> User:
        user = User(
            id=uuid.uuid4(),
            email="ann@example.com",
            name="Ann",
            password_hash=PlainPasswords.stored(PASSWORD),
            role="user",
            created_at=NOW,
            updated_at=NOW,
        )
        user = dataclasses.replace(user, **fields)
        async with self.store.unit_of_work() as unit:
            await unit.users.add(user)
            await unit.commit()
        return user

    async def login(self, password: str = PASSWORD, code: str | None = None) -> Any:
        return await self.service.login(
            email="ann@example.com", password=password, mfa_code=code, ctx=CTX
        )

    def events(self) -> list[str]:
        return [e.event_type for e in self.store.audit_events]


@pytest.fixture
def world() -> World:
    store, clock, passwords = FakeUserStore(), FixedClock(), PlainPasswords()
    metrics, logger = RecordingMetrics(), RecordingLogger()
    deps = fake_user_deps(store, clock=clock, passwords=passwords, metrics=metrics, logger=logger)
    return World(store, clock, passwords, metrics, logger, AuthService(deps))


async def test_login_opens_a_session_and_signs_an_access_token(world: World) -> None:
    user = await world.add_user()

    result = await world.login()

    claims = read_token(result.access_token)
    [session] = world.store.sessions.values()
    assert claims["sid"] == str(session.id)
    assert claims["exp"] - claims["iat"] == result.expires_in == 900
    assert session.token_hash != result.session_token
    assert session.expires_at == NOW + timedelta(seconds=3600)
    assert world.store.users[user.id].login_count == 1
    assert world.events() == ["login_succeeded"]
    assert world.metrics.increments() == [("auth.login.count", {"result": "success"})]


async def test_an_outdated_hash_is_replaced_at_login(world: World) -> None:
    user = await world.add_user(password_hash=OUTDATED_HASH)

    await world.login()

    rehashed = world.store.users[user.id].password_hash
    assert rehashed != OUTDATED_HASH
    assert not world.passwords.needs_rehash(rehashed)
    assert await world.passwords.verify(rehashed, PASSWORD)


@pytest.mark.parametrize(
    "fields",
    [
        None,
        {"active": False},
        {"deleted_at": NOW},
        {"lockout_until": NOW + timedelta(seconds=5)},
        {"password_hash": PlainPasswords.stored("something else")},
    ],
)
async def test_every_failure_spends_one_verification_and_raises_the_same_error(
    world: World, fields: dict[str, Any] | None
) -> None:
    if fields is not None:
        await world.add_user(**fields)

    with pytest.raises(LoginRefused):
        await world.login()

    assert world.passwords.verifications == 1
    assert world.events() == ["login_failed"]
    assert not world.store.sessions
    assert world.metrics.increments() == [("auth.login.count", {"result": "failure"})]
    assert PASSWORD not in world.logger.text()


async def test_lockout_blocks_the_right_password_until_it_runs_out(world: World) -> None:
    await world.add_user()
    for _ in range(POLICY.lockout_threshold):
        with pytest.raises(LoginRefused):
            await world.login("wrong")
    assert world.events().count("account_locked") == 1

    world.clock.at = NOW + timedelta(seconds=59)
    with pytest.raises(LoginRefused):
        await world.login()
    world.clock.at = NOW + timedelta(seconds=60)
    await world.login()


async def test_mfa_login_takes_a_totp_or_an_unused_backup_code_once(world: World) -> None:
    user = await world.add_user()
    principal = await _principal(world, user)
    await world.service.mfa_setup(principal, CTX)
    codes = await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)

    with pytest.raises(MfaCodeRequired):
        await world.login()
    with pytest.raises(MfaCodeRequired):
        await world.login(code="654321")
    with pytest.raises(MfaCodeRequired):  # the code that enabled MFA is spent
        await world.login(code=TOTP)
    world.clock.at = NOW + timedelta(seconds=STEP)
    await world.login(code=totp_at(world.clock.at))
    await world.login(code=codes[0])
    with pytest.raises(MfaCodeRequired):
        await world.login(code=codes[0])


async def test_a_backup_code_spent_by_a_concurrent_login_is_refused(world: World) -> None:
    """The code matched on a reader but was used before this login's unit: mfa-required."""
    user = await world.add_user()
    principal = await _principal(world, user)
    await world.service.mfa_setup(principal, CTX)
    [first, *_] = await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)
    async with world.store.unit_of_work() as unit:  # so this login rehashes: a hook point
        current = await unit.users.get(user.id)
        assert current is not None
        await unit.users.save(dataclasses.replace(current, password_hash=OUTDATED_HASH))
        await unit.commit()
    sessions_before = len(world.store.sessions)

    async def spend_it() -> None:  # runs between the gather step and the unit of work
        async with world.store.unit_of_work() as unit:
            [code_id] = [
                v
                for h, v in (await unit.backup_codes.unused(user.id)).items()
                if h == mfa.hash_backup_code(first)
            ]
            await unit.backup_codes.use(code_id, NOW)
            await unit.commit()

    world.passwords.on_hash = spend_it
    with pytest.raises(MfaCodeRequired):
        await world.login(code=first)
    assert len(world.store.sessions) == sessions_before
    assert world.events()[-1] == "login_failed"


async def test_mfa_steps_in_the_wrong_state_are_conflicts(world: World) -> None:
    user = await world.add_user()
    principal = await _principal(world, user)

    with pytest.raises(Conflict):
        await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)
    with pytest.raises(Conflict):
        await world.service.mfa_disable(principal, code=TOTP, ctx=CTX)
    await world.service.mfa_setup(principal, CTX)
    with pytest.raises(Invalid):
        await world.service.mfa_enable(principal, code="000000", ctx=CTX)
    await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)
    with pytest.raises(Conflict):
        await world.service.mfa_setup(principal, CTX)


async def test_refresh_refuses_unknown_and_revoked_sessions(world: World) -> None:
    await world.add_user()
    result = await world.login()

    refreshed = await world.service.refresh(session_token=result.session_token, ctx=CTX)

    assert refreshed.expires_in == 900
    assert read_token(refreshed.access_token)["sub"] == str(result.user.id)
    assert refreshed.session_token != result.session_token
    with pytest.raises(Unauthenticated):
        await world.service.refresh(session_token="unknown", ctx=CTX)
    principal = await _principal(world, result.user)
    await world.service.logout(principal, CTX)
    with pytest.raises(Unauthenticated):
        await world.service.refresh(session_token=refreshed.session_token, ctx=CTX)
    assert "session_token_reused" not in world.events()


async def test_refresh_rotates_and_a_spent_token_revokes_the_session(world: World) -> None:
    """Each refresh hands out a new session token; the spent one, sent again, revokes the
    session (one audit row), after which the newest token fails too."""
    await world.add_user()
    result = await world.login()
    first = await world.service.refresh(session_token=result.session_token, ctx=CTX)
    second = await world.service.refresh(session_token=first.session_token, ctx=CTX)
    [session] = world.store.sessions.values()
    assert session.revoked_at is None

    with pytest.raises(Unauthenticated) as reused:
        await world.service.refresh(session_token=first.session_token, ctx=CTX)

    assert reused.value.args == ("token_reused",)
    [session] = world.store.sessions.values()
    assert session.revoked_at is not None
    with pytest.raises(Unauthenticated):
        await world.service.refresh(session_token=second.session_token, ctx=CTX)
    with pytest.raises(Unauthenticated):
        await world.service.refresh(session_token=first.session_token, ctx=CTX)
    assert world.events().count("session_token_reused") == 1


async def _principal(world: World, user: User) -> Principal:
    """The principal of the user's newest session (one is opened if there is none)."""
    live = [s for s in world.store.sessions.values() if s.user_id == user.id]
    if not live:
        result = await world.login()
        live = [s for s in world.store.sessions.values() if s.user_id == result.user.id]
    current = world.store.users[user.id]
    return Principal(user=current, session=live[-1])


async def test_a_totp_code_is_accepted_once_within_its_window(world: World) -> None:
    """RFC 6238 §5.2: login, enable and disable all refuse a code already used, and an
    earlier step than the last used one too (it is inside the ±1 window)."""
    user = await world.add_user()
    principal = await _principal(world, user)
    await world.service.mfa_setup(principal, CTX)
    await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)
    world.clock.at = NOW + timedelta(seconds=STEP)
    fresh = totp_at(world.clock.at)

    await world.login(code=fresh)
    with pytest.raises(MfaCodeRequired):
        await world.login(code=fresh)
    with pytest.raises(MfaCodeRequired):
        await world.login(code=TOTP)  # the previous step: still in the window, but older
    principal = await _principal(world, user)
    with pytest.raises(Invalid):
        await world.service.mfa_disable(principal, code=fresh, ctx=CTX)
    world.clock.at = NOW + timedelta(seconds=2 * STEP)
    await world.service.mfa_disable(principal, code=totp_at(world.clock.at), ctx=CTX)
    assert world.store.users[user.id].mfa_enabled is False


async def test_two_logins_racing_with_one_code_cannot_both_pass(world: World) -> None:
    """The step is claimed inside each login's unit: a concurrent login that claimed it
    first turns this one into mfa-required."""
    user = await world.add_user()
    principal = await _principal(world, user)
    await world.service.mfa_setup(principal, CTX)
    await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)
    world.clock.at = NOW + timedelta(seconds=STEP)
    fresh = totp_at(world.clock.at)
    step = int(world.clock.at.timestamp()) // STEP
    async with world.store.unit_of_work() as unit:  # so this login rehashes: a hook point
        current = await unit.users.get(user.id)
        assert current is not None
        await unit.users.save(dataclasses.replace(current, password_hash=OUTDATED_HASH))
        await unit.commit()

    async def claim_it() -> None:  # runs between the gather step and the unit of work
        async with world.store.unit_of_work() as unit:
            assert await unit.users.claim_totp_step(user.id, step)
            await unit.commit()

    world.passwords.on_hash = claim_it
    with pytest.raises(MfaCodeRequired):
        await world.login(code=fresh)


async def test_enabling_mfa_revokes_the_other_sessions(world: World) -> None:
    user = await world.add_user()
    other = await world.login()
    await world.login()
    principal = await _principal(world, user)  # the newest session, not `other`'s
    assert principal.session.token_hash != sessions.hash_token(other.session_token)
    await world.service.mfa_setup(principal, CTX)

    await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)

    live = [s.id for s in world.store.sessions.values() if s.revoked_at is None]
    assert live == [principal.session.id]
    enabled = [e for e in world.store.audit_events if e.event_type == "mfa_enabled"]
    assert enabled[-1].details == {"sessions_revoked": 1}


async def test_wrong_mfa_codes_are_audited_and_block_after_five(world: World) -> None:
    """Five wrong codes: the sixth attempt is refused unchecked (429, audited), even with the
    right code, for enable and disable alike."""
    user = await world.add_user()
    principal = await _principal(world, user)
    await world.service.mfa_setup(principal, CTX)
    for _ in range(5):
        with pytest.raises(Invalid):
            await world.service.mfa_enable(principal, code="000000", ctx=CTX)

    with pytest.raises(TooManyAttempts) as blocked:
        await world.service.mfa_enable(principal, code=TOTP, ctx=CTX)
    with pytest.raises(TooManyAttempts):
        await world.service.mfa_disable(principal, code=TOTP, ctx=CTX)

    assert blocked.value.retry_after == 60
    failed = [e for e in world.store.audit_events if e.event_type == "mfa_failed"]
    assert [e.result for e in failed] == ["failure"] * 5 + ["denied"] * 2
    assert [e.action for e in failed][-2:] == ["enable_mfa", "disable_mfa"]
    assert world.store.users[user.id].mfa_enabled is False
