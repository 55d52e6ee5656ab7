"""`AccountService` (password reset, email verification) against the in-memory fakes, not
through HTTP: a token is stored as its hash with its mail, at most three an hour, a newer one
voids the older, a link works once, before its expiry, for the address it was sent to.

The end-to-end flows (HTTP, a real database, a real SMTP server) are
tests/integration/test_account_mail.py; these are the service's decisions, in milliseconds."""

from __future__ import annotations

import dataclasses
from typing import cast
from urllib.parse import parse_qs, urlsplit

import pytest

from boundary.account.core import hash_token
from boundary.account.shell import service as account_service
from boundary.account.shell.service import AccountService
from boundary.kernel.errors import Invalid, Unavailable
from boundary.mail.core import Message
from boundary.mail.shell.module import MailModule
from boundary.user.core.audit import RequestContext
from boundary.user.core.model import Session, User
from boundary.user.shell.authn import Principal
from tests.fakes.account import FakeAccountStore
from tests.fakes.builders import NOW, make_session, make_user
from tests.fakes.clock import FixedClock
from tests.fakes.crypto import PlainPasswords
from tests.fakes.deps import fake_user_deps
from tests.fakes.strength import FixedStrength

pytestmark = pytest.mark.anyio

PUBLIC_URL = "https://id.example.org"
RESET_TTL = 1800.0
VERIFY_TTL = 86400.0
NEW_PASSWORD = "a much longer and fresher passphrase"
CTX = RequestContext(ip="192.0.2.1", user_agent="tests", correlation_id="c-1")


class MailSwitch:
    """What the service uses of `MailModule`: whether mail is configured, and `wake()`."""

    def __init__(self) -> None:
        self.enabled = True
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


@dataclasses.dataclass
class World:
    store: FakeAccountStore
    clock: FixedClock
    passwords: PlainPasswords
    mail: MailSwitch
    service: AccountService

    async def add(self, user: User, *sessions: Session) -> User:
        return await self.store.seed(user, *sessions)

    def mails(self) -> list[Message]:
        return [queued.message for queued in self.store.outbox]

    def outcomes(self, event_type: str) -> list[object]:
        events = self.store.audit_events
        return [e.details.get("outcome") for e in events if e.event_type == event_type]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    # The reset request's constant-time floor (a quarter second) is not what these test.
    monkeypatch.setattr(account_service, "RESET_FLOOR_SECONDS", 0.0)
    store, clock, passwords, mail = FakeAccountStore(), FixedClock(), PlainPasswords(), MailSwitch()
    deps = fake_user_deps(store, clock=clock, passwords=passwords, strength=FixedStrength())
    service = AccountService(
        deps,
        store.account_unit,
        cast(MailModule, mail),
        public_url=PUBLIC_URL,
        reset_ttl=RESET_TTL,
        verify_ttl=VERIFY_TTL,
    )
    return World(store, clock, passwords, mail, service)


def token_in(mail: Message) -> str:
    """The raw token of the mail's one link."""
    (link,) = {word for word in mail.text.split() if word.startswith(PUBLIC_URL)}
    return parse_qs(urlsplit(link).query)["token"][0]


async def reset_mail(world: World, user: User) -> str:
    """Ask for a reset of `user` and return the token its mail carries."""
    await world.service.request_password_reset(email=user.email, ctx=CTX)
    return token_in(world.mails()[-1])


async def verification_mail(world: World, user: User) -> str:
    principal = Principal(user=user, session=make_session(user))
    await world.service.request_email_verification(principal, CTX)
    return token_in(world.mails()[-1])


# --- password reset ----------------------------------------------------------------------------


async def test_a_reset_request_stores_the_tokens_hash_and_queues_its_link(world: World) -> None:
    user = await world.add(make_user(email="ada@example.com"))

    await world.service.request_password_reset(email="  ADA@example.com ", ctx=CTX)

    (mail,) = world.mails()
    (token,) = world.store.account_tokens.values()
    raw = token_in(mail)
    assert (mail.kind, mail.recipient) == ("password_reset", "ada@example.com")
    assert f"{PUBLIC_URL}/account/reset-password?token={raw}" in mail.text
    assert token.token_hash == hash_token(raw)
    assert raw not in repr(token)
    assert (token.user_id, token.kind, token.email) == (user.id, "password_reset", user.email)
    assert (token.created_at, token.used_at) == (NOW, None)
    assert (token.expires_at - token.created_at).total_seconds() == RESET_TTL
    assert world.outcomes("password_reset_requested") == ["queued"]
    assert world.mail.wakes == 1


@pytest.mark.parametrize(
    "account",
    [None, {"active": False}, {"deleted_at": NOW}],
    ids=["unknown", "inactive", "deleted"],
)
async def test_a_reset_for_no_usable_account_queues_nothing(
    world: World, account: dict[str, object] | None
) -> None:
    if account is not None:
        await world.add(make_user(email="ada@example.com", **account))

    await world.service.request_password_reset(email="ada@example.com", ctx=CTX)

    assert world.store.account_tokens == {}
    assert world.mails() == []
    assert world.outcomes("password_reset_requested") == ["no_account"]
    assert world.mail.wakes == 0


async def test_at_most_three_reset_mails_an_hour_each_voiding_the_last(world: World) -> None:
    user = await world.add(make_user())

    for _ in range(4):
        await world.service.request_password_reset(email=user.email, ctx=CTX)

    assert len(world.mails()) == 3
    tokens = sorted(world.store.account_tokens.values(), key=lambda t: t.id)
    assert [t.used_at for t in tokens] == [NOW, NOW, None]
    assert world.outcomes("password_reset_requested") == ["queued"] * 3 + ["rate_limited"]
    world.clock.advance(hours=1)
    await world.service.request_password_reset(email=user.email, ctx=CTX)
    assert len(world.mails()) == 4


async def test_the_mailed_link_sets_the_password_once_and_ends_every_session(
    world: World,
) -> None:
    user = make_user()
    await world.add(user, make_session(user), make_session(user))
    raw = await reset_mail(world, user)
    assert await world.service.reset_token_usable(raw)

    await world.service.confirm_password_reset(token=raw, new_password=NEW_PASSWORD, ctx=CTX)

    changed = world.store.users[user.id]
    assert await world.passwords.verify(changed.password_hash, NEW_PASSWORD)
    assert all(s.revoked_at == NOW for s in world.store.sessions.values())
    (token,) = world.store.account_tokens.values()
    assert token.used_at == NOW
    events = [e.event_type for e in world.store.audit_events]
    assert events == ["password_reset_requested", "password_reset_completed"]
    assert not await world.service.reset_token_usable(raw)
    with pytest.raises(Invalid):
        await world.service.confirm_password_reset(token=raw, new_password="x" * 30, ctx=CTX)
    assert world.store.users[user.id] == changed


async def test_a_newer_reset_voids_the_older_link(world: World) -> None:
    user = await world.add(make_user())
    older = await reset_mail(world, user)
    newer = await reset_mail(world, user)

    with pytest.raises(Invalid):
        await world.service.confirm_password_reset(token=older, new_password=NEW_PASSWORD, ctx=CTX)
    await world.service.confirm_password_reset(token=newer, new_password=NEW_PASSWORD, ctx=CTX)

    assert await world.passwords.verify(world.store.users[user.id].password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    "token", ["", "not a token!", "x" * 257, "well-formed-but-never-issued"], ids=repr
)
async def test_a_malformed_or_unknown_token_is_refused(world: World, token: str) -> None:
    assert not await world.service.reset_token_usable(token)
    with pytest.raises(Invalid):
        await world.service.confirm_password_reset(token=token, new_password=NEW_PASSWORD, ctx=CTX)
    with pytest.raises(Invalid):
        await world.service.confirm_email_verification(token=token, ctx=CTX)


async def test_an_expired_link_is_refused(world: World) -> None:
    user = await world.add(make_user())
    raw = await reset_mail(world, user)
    world.clock.advance(seconds=RESET_TTL)

    with pytest.raises(Invalid):
        await world.service.confirm_password_reset(token=raw, new_password=NEW_PASSWORD, ctx=CTX)

    assert world.store.users[user.id] == user
    assert [t.used_at for t in world.store.account_tokens.values()] == [None]


async def test_a_weak_password_leaves_the_link_usable(world: World) -> None:
    user = await world.add(make_user())
    raw = await reset_mail(world, user)

    with pytest.raises(Invalid) as refused:
        await world.service.confirm_password_reset(token=raw, new_password="password1234", ctx=CTX)

    assert {e.field for e in refused.value.errors} == {"new_password"}
    assert await world.service.reset_token_usable(raw)


# --- email verification ------------------------------------------------------------------------


async def test_the_verification_link_verifies_the_address_it_was_sent_to(world: World) -> None:
    user = await world.add(make_user())
    raw = await verification_mail(world, user)
    (mail,) = world.mails()
    assert (mail.kind, mail.recipient) == ("email_verification", user.email)
    world.clock.advance(minutes=5)

    await world.service.confirm_email_verification(token=raw, ctx=CTX)

    assert world.store.users[user.id].email_verified_at == world.clock.now()
    assert world.outcomes("email_verification_requested") == ["queued"]
    with pytest.raises(Invalid):
        await world.service.confirm_email_verification(token=raw, ctx=CTX)


async def test_a_verification_link_for_a_changed_address_is_refused(world: World) -> None:
    user = await world.add(make_user(email="old@example.com"))
    raw = await verification_mail(world, user)
    async with world.store.unit_of_work() as unit:
        await unit.users.save(dataclasses.replace(user, email="new@example.com"))
        await unit.commit()

    with pytest.raises(Invalid):
        await world.service.confirm_email_verification(token=raw, ctx=CTX)

    assert world.store.users[user.id].email_verified_at is None


async def test_a_link_of_one_kind_does_not_work_for_the_other(world: World) -> None:
    user = await world.add(make_user())
    reset = await reset_mail(world, user)
    verify = await verification_mail(world, user)

    with pytest.raises(Invalid):
        await world.service.confirm_email_verification(token=reset, ctx=CTX)
    with pytest.raises(Invalid):
        await world.service.confirm_password_reset(token=verify, new_password=NEW_PASSWORD, ctx=CTX)

    assert world.store.users[user.id] == user
    assert [t.used_at for t in world.store.account_tokens.values()] == [None, None]


# --- without mail, housekeeping ----------------------------------------------------------------


async def test_without_mail_every_operation_is_unavailable_and_writes_nothing(
    world: World,
) -> None:
    user = await world.add(make_user())
    world.mail.enabled = False
    principal = Principal(user=user, session=make_session(user))

    with pytest.raises(Unavailable):
        await world.service.request_password_reset(email=user.email, ctx=CTX)
    with pytest.raises(Unavailable):
        await world.service.request_email_verification(principal, CTX)
    with pytest.raises(Unavailable):
        await world.service.confirm_password_reset(token="t", new_password=NEW_PASSWORD, ctx=CTX)
    with pytest.raises(Unavailable):
        await world.service.confirm_email_verification(token="t", ctx=CTX)

    store = world.store
    assert (store.account_tokens, store.outbox, store.audit_events) == ({}, [], [])


async def test_prune_deletes_tokens_expired_for_over_an_hour(world: World) -> None:
    user = await world.add(make_user())
    await reset_mail(world, user)  # expires at NOW + 30 minutes
    await verification_mail(world, user)  # expires at NOW + 1 day

    world.clock.advance(seconds=RESET_TTL, hours=1)
    assert await world.service.prune_tokens() == 0
    world.clock.advance(microseconds=1)
    assert await world.service.prune_tokens() == 1

    (left,) = world.store.account_tokens.values()
    assert left.kind == "email_verification"
