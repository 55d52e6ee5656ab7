"""`UserService` (user administration) against the in-memory fakes, not through HTTP: each
change commits with its audit row or not at all, access is withdrawn with the sessions, the
last admin is kept, and the operator CLI's create-admin promotes or creates."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from boundary.user.core.audit import ActorRef, RequestContext, actor_of
from boundary.user.core.errors import Conflict, Invalid, UserNotFound
from boundary.user.core.model import Session, User
from boundary.user.shell.user_service import AdminRefused, UserService
from tests.fakes.builders import NOW, make_session, make_user
from tests.fakes.clock import FixedClock
from tests.fakes.crypto import PlainPasswords
from tests.fakes.deps import fake_user_deps
from tests.fakes.logging import RecordingLogger
from tests.fakes.observability import RecordingMetrics
from tests.fakes.strength import FixedStrength
from tests.fakes.user_repositories import FakeUserStore

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery staple"
CTX = RequestContext(ip="192.0.2.1", user_agent="tests", correlation_id="c-1")


@dataclasses.dataclass
class World:
    store: FakeUserStore
    clock: FixedClock
    passwords: PlainPasswords
    metrics: RecordingMetrics
    logger: RecordingLogger
    strength: FixedStrength
    service: UserService

    async def add(self, user: User, *sessions: Session) -> User:
        return await self.store.seed(user, *sessions)

    async def admin(self) -> ActorRef:
        return actor_of(await self.add(make_user(role="admin", email="root@example.com")))

    def events(self) -> list[str]:
        return [event.event_type for event in self.store.audit_events]

    def live_sessions(self, user: User) -> list[Session]:
        return [
            s for s in self.store.sessions.values() if s.user_id == user.id and s.revoked_at is None
        ]


@pytest.fixture
def world() -> World:
    store, clock, passwords = FakeUserStore(), FixedClock(), PlainPasswords()
    metrics, logger, strength = RecordingMetrics(), RecordingLogger(), FixedStrength()
    deps = fake_user_deps(
        store, clock=clock, passwords=passwords, metrics=metrics, logger=logger, strength=strength
    )
    return World(store, clock, passwords, metrics, logger, strength, UserService(deps))


async def create(world: World, actor: ActorRef | None = None, **fields: Any) -> User:
    values = {"email": "Ann@Example.com", "name": "Ann", "password": PASSWORD, "role": "user"}
    return await world.service.create(actor, ctx=CTX, **(values | fields))


async def test_create_stores_the_user_with_a_hash_and_audits_it(world: World) -> None:
    admin = await world.admin()

    user = await create(world, admin)

    assert world.store.users[user.id] == user
    assert user.email == "ann@example.com"
    assert user.created_at == NOW
    assert await world.passwords.verify(user.password_hash, PASSWORD)
    assert world.events() == ["user_created"]
    assert world.store.audit_events[0].actor == str(admin.id)
    assert world.metrics.increments() == [("application.users.created.count", {"role": "user"})]
    assert PASSWORD not in world.logger.text()


async def test_create_refuses_bad_input_and_writes_nothing(world: World) -> None:
    world.strength.score = 1
    with pytest.raises(Invalid) as weak:
        await create(world)
    with pytest.raises(Invalid) as malformed:
        await create(world, email="not an email", role="emperor")

    assert {e.field for e in weak.value.errors} == {"password"}
    assert {e.field for e in malformed.value.errors} >= {"email", "role"}
    assert world.store.users == {}
    assert world.store.audit_events == []


async def test_an_email_taken_in_any_case_is_a_conflict(world: World) -> None:
    await create(world)
    commits = world.store.commits

    with pytest.raises(Conflict):
        await create(world, email="ANN@example.COM")

    assert world.store.commits == commits
    assert world.events() == ["user_created"]


async def test_deactivating_or_changing_role_revokes_every_session(world: World) -> None:
    admin = await world.admin()
    user = make_user()
    await world.add(user, make_session(user), make_session(user))

    await world.service.update(admin, user.id, {"active": False}, CTX)

    assert world.live_sessions(user) == []
    assert world.store.users[user.id].active is False
    assert world.events() == ["user_updated"]


async def test_an_update_that_changes_nothing_writes_nothing(world: World) -> None:
    user = await world.add(make_user(name="Ann"))
    commits = world.store.commits

    assert await world.service.update(None, user.id, {"name": "Ann"}, CTX) == user
    assert world.store.commits == commits
    assert world.events() == []


async def test_delete_is_soft_revokes_sessions_and_then_the_user_is_not_found(
    world: World,
) -> None:
    admin = await world.admin()
    user = make_user()
    await world.add(user, make_session(user))
    world.clock.advance(minutes=5)

    await world.service.delete(admin, user.id, CTX)

    stored = world.store.users[user.id]
    assert stored.deleted_at == NOW + timedelta(minutes=5)
    assert stored.active is False
    assert world.live_sessions(user) == []
    assert world.events() == ["user_deleted"]
    with pytest.raises(UserNotFound):
        await world.service.get(user.id)
    with pytest.raises(UserNotFound):
        await world.service.delete(admin, user.id, CTX)


async def test_nobody_deletes_their_own_account(world: World) -> None:
    admin = await world.admin()
    with pytest.raises(Conflict):
        await world.service.delete(admin, admin.id, CTX)
    assert world.store.users[admin.id].deleted_at is None


async def test_the_last_active_admin_is_kept(world: World) -> None:
    admin = await world.admin()

    for change in ({"role": "user"}, {"active": False}):
        with pytest.raises(Conflict):
            await world.service.update(None, admin.id, change, CTX)
    with pytest.raises(Conflict):
        await world.service.delete(None, admin.id, CTX)
    with pytest.raises(Conflict):
        await world.service.erase(None, admin.id, CTX)

    assert world.store.users[admin.id].role == "admin"
    assert world.events() == []

    second = await world.add(make_user(role="admin"))
    await world.service.update(None, admin.id, {"role": "user"}, CTX)
    assert world.store.users[admin.id].role == "user"
    with pytest.raises(Conflict):
        await world.service.update(None, second.id, {"role": "user"}, CTX)


async def test_create_admin_creates_one_with_a_generated_password(world: World) -> None:
    admin, generated = await world.service.create_admin(
        email="Ops@Example.com", name=None, password=None
    )

    assert (admin.email, admin.name, admin.role) == ("ops@example.com", "Administrator", "admin")
    assert generated is not None
    assert await world.passwords.verify(admin.password_hash, generated)
    assert world.store.audit_events[0].actor == "cli"


async def test_create_admin_promotes_a_live_user_and_ends_their_sessions(world: World) -> None:
    user = make_user(email="ann@example.com", active=False)
    await world.add(user, make_session(user))

    promoted, generated = await world.service.create_admin(
        email="ANN@example.com", name="Ignored", password=None
    )

    assert generated is None
    assert (promoted.role, promoted.active) == ("admin", True)
    assert promoted.password_hash == user.password_hash
    assert promoted.name == user.name
    assert world.live_sessions(user) == []


async def test_create_admin_refuses_a_deleted_accounts_email(world: World) -> None:
    await world.add(make_user(email="gone@example.com", deleted_at=NOW))
    with pytest.raises(AdminRefused):
        await world.service.create_admin(email="gone@example.com", name=None, password="x")


async def test_set_password_replaces_the_hash_and_ends_every_session(world: World) -> None:
    user = make_user()
    await world.add(user, make_session(user), make_session(user))

    changed, generated = await world.service.set_password(None, user.id, "a new passphrase!", CTX)

    assert generated is None
    assert await world.passwords.verify(changed.password_hash, "a new passphrase!")
    assert not await world.passwords.verify(changed.password_hash, PASSWORD)
    assert world.live_sessions(user) == []
    assert world.events() == ["password_changed"]
    assert "a new passphrase!" not in world.logger.text()


async def test_unlock_clears_a_lockout_once(world: World) -> None:
    user = await world.add(make_user(failed_login_count=3, lockout_until=NOW + timedelta(hours=1)))

    assert await world.service.unlock(None, user.id, CTX) is True
    assert await world.service.unlock(None, user.id, CTX) is False

    stored = world.store.users[user.id]
    assert (stored.failed_login_count, stored.lockout_until) == (0, None)
    assert world.events() == ["account_unlocked"]


async def test_erase_anonymises_the_user_and_their_audit_trail(world: World) -> None:
    admin = await world.admin()
    user = await create(world, admin)
    session = make_session(user)
    async with world.store.unit_of_work() as unit:
        await unit.sessions.add(session)
        await unit.commit()

    erased = await world.service.erase(admin, user.id, CTX)

    assert erased.email != user.email
    assert world.store.users[user.id] == erased
    assert session.id not in world.store.sessions
    assert all(user.email not in str(event) for event in world.store.audit_events)
    assert world.events() == ["user_created", "user_erased"]
    with pytest.raises(UserNotFound):
        await world.service.erase(admin, user.id, CTX)
