"""User core audit: one constructor per event type of CONTRACT §4, compared with literal rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial
from uuid import UUID

import pytest

from boundary.user.core import audit, erasure, login
from boundary.user.core.audit import (
    CLI_ACTOR,
    ActorRef,
    EventType,
    RequestContext,
    access_denied,
    account_locked,
    actor_of,
    failed_login_events,
    login_failed,
    login_succeeded,
    logout,
    mfa_disabled,
    mfa_enabled,
    mfa_failed,
    mfa_reset,
    password_changed,
    session_resource,
    session_revoked,
    user_created,
    user_deleted,
    user_resource,
    user_updated,
)
from boundary.user.core.login import LoginFailed, MfaRequired
from boundary.user.core.model import AuditEvent, Session
from boundary.user.core.permissions import Action
from tests.fakes import builders
from tests.fakes.builders import NOW

CREATED = NOW - timedelta(days=30)
ADMIN_ID = UUID("00000000-0000-4000-8000-0000000000ad")
USER_ID = UUID("00000000-0000-4000-8000-000000000001")
SESSION_ID = UUID("00000000-0000-4000-8000-0000000000aa")
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0c2FsdA$c2VjcmV0aGFzaA"
MFA_SECRET = "JBSWY3DPEHPK3PXP"
CTX = RequestContext(ip="203.0.113.7", user_agent="curl/8.5.0", correlation_id="req-42")
ADMIN = ActorRef(id=ADMIN_ID, role="admin", email="root@example.com")
USER_RESOURCE = f"user:{USER_ID}"


make_user = partial(
    builders.make_user,
    id=USER_ID,
    email="alice@example.com",
    name="Alice",
    password_hash=PASSWORD_HASH,
    mfa_enabled=True,
    mfa_secret=MFA_SECRET,
    created_at=CREATED,
    updated_at=CREATED,
)


def row(event_type: str, action: str, **fields: object) -> AuditEvent:
    """An expected row with this module's request context and clock."""
    defaults: dict[str, object] = {
        "result": "success",
        "created_at": NOW,
        "ip": "203.0.113.7",
        "user_agent": "curl/8.5.0",
        "correlation_id": "req-42",
    }
    defaults.update(fields)
    return AuditEvent(event_type=event_type, action=action, **defaults)  # type: ignore[arg-type]


ALICE = make_user()
ALICE_ACTOR = actor_of(ALICE)
ALICE_SESSION = Session(
    id=SESSION_ID,
    user_id=ALICE.id,
    token_hash="ab" * 32,
    previous_token_hash="cd" * 32,
    created_at=NOW - timedelta(hours=1),
    expires_at=NOW + timedelta(hours=1),
)


# --- references ------------------------------------------------------------------------------


def test_resources_name_their_kind_and_id() -> None:
    """`user:<id>` and `session:<id>`."""
    assert user_resource(USER_ID) == "user:00000000-0000-4000-8000-000000000001"
    assert session_resource(SESSION_ID) == "session:00000000-0000-4000-8000-0000000000aa"


def test_a_user_acting_for_themselves_is_their_own_actor() -> None:
    """actor_of copies id, role and email."""
    assert actor_of(ALICE) == ActorRef(id=USER_ID, role="user", email="alice@example.com")


def test_event_types_are_the_contracts_and_ours() -> None:
    """The event types §4 lists, plus `mfa_failed` (wrong or blocked MFA codes), plus the
    account-recovery events of §15, plus `session_token_reused` (a spent session token sent
    again: the session was revoked), plus the operator's `user_erased` and `account_unlocked`."""
    assert {event.value for event in EventType} == {
        "password_reset_requested",
        "password_reset_completed",
        "email_verification_requested",
        "email_verified",
        "login_succeeded",
        "login_failed",
        "logout",
        "account_locked",
        "user_created",
        "user_updated",
        "user_deleted",
        "password_changed",
        "session_revoked",
        "session_token_reused",
        "mfa_enabled",
        "mfa_disabled",
        "access_denied",
        "mfa_failed",
        "user_erased",
        "account_unlocked",
    }


# --- authentication --------------------------------------------------------------------------


def test_login_succeeded_records_the_user_and_the_new_session() -> None:
    """The user is the actor, with their role; the session id is in details."""
    event = login_succeeded(user=ALICE, session_id=SESSION_ID, ctx=CTX, now=NOW)
    assert event == row(
        "login_succeeded",
        "login",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"session_id": str(SESSION_ID)},
    )


def test_login_succeeded_names_the_second_factor_used() -> None:
    """A backup-code login is worth spotting later."""
    event = login_succeeded(user=ALICE, session_id=SESSION_ID, ctx=CTX, now=NOW, mfa="backup_code")
    assert event.details == {"session_id": str(SESSION_ID), "mfa": "backup_code"}


def test_login_failed_for_a_known_account_names_it_without_a_role() -> None:
    """The account is the actor, but an unauthenticated attempt carries no role."""
    event = login_failed(
        attempted_email="Alice@Example.com", user=ALICE, reason="bad_password", ctx=CTX, now=NOW
    )
    assert event == row(
        "login_failed",
        "login",
        result="failure",
        actor=str(USER_ID),
        actor_role=None,
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"reason": "bad_password"},
    )


def test_login_failed_for_an_unknown_email_records_the_attempted_email() -> None:
    """Lower-cased and trimmed, as actor and email, so the guide's GROUP BY email works."""
    event = login_failed(
        attempted_email="  Mallory@Evil.test ", user=None, reason="unknown_email", ctx=CTX, now=NOW
    )
    assert event == row(
        "login_failed",
        "login",
        result="failure",
        actor="mallory@evil.test",
        actor_role=None,
        email="mallory@evil.test",
        resource=None,
        details={"reason": "unknown_email"},
    )


def test_an_absurdly_long_attempted_email_is_clipped() -> None:
    """Anyone can send anything as an email; the row stays bounded."""
    event = login_failed(
        attempted_email="x" * 5000, user=None, reason="unknown_email", ctx=CTX, now=NOW
    )
    assert event.email == "x" * 254


def test_account_locked_records_until_when() -> None:
    """The row that locked the account carries the lock's end and the failure count."""
    locked = make_user(failed_login_count=10, lockout_until=NOW + timedelta(minutes=15))
    assert account_locked(user=locked, ctx=CTX, now=NOW) == row(
        "account_locked",
        "lock",
        actor=str(USER_ID),
        actor_role=None,
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"locked_until": "2026-01-03T12:15:00+00:00", "failed_login_count": 10},
    )


def test_logout_records_the_ended_session() -> None:
    """The session is the resource; the user acts on themselves."""
    assert logout(actor=ALICE_ACTOR, session_id=SESSION_ID, ctx=CTX, now=NOW) == row(
        "logout",
        "logout",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=f"session:{SESSION_ID}",
    )


# --- failed_login_events ---------------------------------------------------------------------


def test_a_plain_failure_writes_one_login_failed() -> None:
    """Reason taken from the decision; identity from the gathered user."""
    decision = LoginFailed(user=None, reason="locked")
    events = failed_login_events(
        decision, subject=ALICE, attempted_email="alice@example.com", ctx=CTX, now=NOW
    )
    assert events == (
        login_failed(
            attempted_email="alice@example.com", user=ALICE, reason="locked", ctx=CTX, now=NOW
        ),
    )


def test_the_failure_that_locks_also_writes_account_locked() -> None:
    """login_failed first, then account_locked with the updated row."""
    locked = make_user(failed_login_count=10, lockout_until=NOW + timedelta(minutes=15))
    decision = LoginFailed(user=locked, reason="bad_password", locked_now=True)
    events = failed_login_events(
        decision, subject=ALICE, attempted_email="alice@example.com", ctx=CTX, now=NOW
    )
    assert [event.event_type for event in events] == ["login_failed", "account_locked"]
    assert events[1] == account_locked(user=locked, ctx=CTX, now=NOW)


def test_a_missing_mfa_code_writes_nothing() -> None:
    """The first half of every MFA login is not a failure to count in the guide's query."""
    events = failed_login_events(
        MfaRequired(user=None), subject=ALICE, attempted_email="alice@example.com", ctx=CTX, now=NOW
    )
    assert events == ()


def test_a_wrong_mfa_code_writes_login_failed() -> None:
    """Guessed codes show up like guessed passwords."""
    decision = MfaRequired(user=replace(ALICE, failed_login_count=1))
    events = failed_login_events(
        decision, subject=ALICE, attempted_email="alice@example.com", ctx=CTX, now=NOW
    )
    assert [(e.event_type, e.details) for e in events] == [
        ("login_failed", {"reason": "bad_mfa_code"})
    ]


def test_an_unknown_email_writes_login_failed_with_the_attempt() -> None:
    """No subject: the attempted email identifies the row."""
    events = failed_login_events(
        LoginFailed(user=None, reason="unknown_email"),
        subject=None,
        attempted_email="ghost@example.com",
        ctx=CTX,
        now=NOW,
    )
    assert [(e.actor, e.email) for e in events] == [("ghost@example.com", "ghost@example.com")]


# --- self-service ----------------------------------------------------------------------------


def test_password_changed_counts_the_other_sessions_ended() -> None:
    """The user acts on themselves; revoked sessions are a number, nothing more."""
    event = password_changed(actor=ALICE_ACTOR, user=ALICE, sessions_revoked=3, ctx=CTX, now=NOW)
    assert event == row(
        "password_changed",
        "change_password",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"sessions_revoked": 3},
    )


def test_mfa_enabled_is_an_action_on_ones_own_account() -> None:
    """No codes or secrets in the row; how many other sessions enabling revoked."""
    assert mfa_enabled(actor=ALICE_ACTOR, sessions_revoked=2, ctx=CTX, now=NOW) == row(
        "mfa_enabled",
        "enable_mfa",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"sessions_revoked": 2},
    )


def test_mfa_failed_tells_a_wrong_code_from_a_blocked_attempt() -> None:
    """A wrong code is a `failure`; an attempt refused unchecked after too many is `denied`."""
    wrong = mfa_failed(actor=ALICE_ACTOR, step="enable", blocked=False, ctx=CTX, now=NOW)
    blocked = mfa_failed(actor=ALICE_ACTOR, step="disable", blocked=True, ctx=CTX, now=NOW)
    assert wrong == row(
        "mfa_failed",
        "enable_mfa",
        result="failure",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"reason": "bad_code"},
    )
    assert (blocked.action, blocked.result, blocked.details) == (
        "disable_mfa",
        "denied",
        {"reason": "too_many_failures"},
    )


def test_an_admins_mfa_reset_is_an_mfa_disabled_row_by_the_admin() -> None:
    """The guide-style query for `mfa_disabled` finds resets too; the actor is the admin."""
    event = mfa_reset(actor=ADMIN, user=ALICE, ctx=CTX, now=NOW)
    assert event == row(
        "mfa_disabled",
        "reset_mfa",
        actor=str(ADMIN.id),
        actor_role="admin",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"method": "admin_reset"},
    )


def test_mfa_disabled_says_which_kind_of_code_confirmed_it() -> None:
    """`totp` or `backup_code`."""
    assert mfa_disabled(actor=ALICE_ACTOR, method="totp", ctx=CTX, now=NOW) == row(
        "mfa_disabled",
        "disable_mfa",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"method": "totp"},
    )


# --- administration --------------------------------------------------------------------------


def test_user_created_by_an_admin() -> None:
    """The admin is the actor; the new user is the subject and resource."""
    assert user_created(actor=ADMIN, user=ALICE, ctx=CTX, now=NOW) == row(
        "user_created",
        "create",
        actor=str(ADMIN_ID),
        actor_role="admin",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"role": "user"},
    )


def test_user_created_by_the_cli_names_the_cli() -> None:
    """`boundary users create-admin` has no user behind it: actor `cli`, no role."""
    event = user_created(actor=None, user=ALICE, ctx=RequestContext(), now=NOW)
    assert (event.actor, event.actor_role, event.ip) == (CLI_ACTOR, None, None)


def test_user_updated_lists_changed_fields_and_role_and_active_values() -> None:
    """Names only for the name; before/after for role and active, which operators audit."""
    after = replace(ALICE, name="Alicia", role="admin", active=False)
    event = user_updated(actor=ADMIN, before=ALICE, after=after, ctx=CTX, now=NOW)
    assert event == row(
        "user_updated",
        "update",
        actor=str(ADMIN_ID),
        actor_role="admin",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={
            "fields": ["name", "role", "active"],
            "role": {"from": "user", "to": "admin"},
            "active": {"from": True, "to": False},
        },
    )


def test_user_updated_with_only_a_new_name_keeps_the_value_out() -> None:
    """Names are personal data; the row says that it changed, not what to."""
    after = replace(ALICE, name="Alicia")
    event = user_updated(actor=ALICE_ACTOR, before=ALICE, after=after, ctx=CTX, now=NOW)
    assert event.details == {"fields": ["name"]}
    assert "Alicia" not in repr(event)


def test_user_deleted_counts_the_revoked_sessions() -> None:
    """Soft delete and session revocation are one unit of work, one row."""
    event = user_deleted(actor=ADMIN, user=ALICE, sessions_revoked=2, ctx=CTX, now=NOW)
    assert event == row(
        "user_deleted",
        "delete",
        actor=str(ADMIN_ID),
        actor_role="admin",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"sessions_revoked": 2},
    )


def test_revoking_all_sessions_names_the_user() -> None:
    """DELETE /users/{id}/sessions: the user is the resource, the count in details."""
    event = session_revoked(actor=ADMIN, user=ALICE, sessions_revoked=4, ctx=CTX, now=NOW)
    assert event == row(
        "session_revoked",
        "revoke",
        actor=str(ADMIN_ID),
        actor_role="admin",
        email="alice@example.com",
        resource=USER_RESOURCE,
        details={"sessions_revoked": 4},
    )


def test_revoking_one_session_names_the_session() -> None:
    """A single revocation points at the session."""
    event = session_revoked(
        actor=ALICE_ACTOR, user=ALICE, sessions_revoked=1, ctx=CTX, now=NOW, session_id=SESSION_ID
    )
    assert event.resource == f"session:{SESSION_ID}"


def test_a_reused_session_token_names_the_session_and_its_owner_and_no_hash() -> None:
    """Nobody authenticated: the session's user is the actor, without a role; the refusal is
    `denied`, and neither token hash appears."""
    event = audit.session_token_reused(session=ALICE_SESSION, user=ALICE, ctx=CTX, now=NOW)
    assert event == row(
        "session_token_reused",
        "refresh",
        result="denied",
        actor=str(ALICE.id),
        actor_role=None,
        email="alice@example.com",
        resource=f"session:{SESSION_ID}",
        details={"reason": "token_reused", "sessions_revoked": 1},
    )
    assert "ab" * 32 not in repr(event)
    assert "cd" * 32 not in repr(event)


def test_access_denied_records_the_refused_action() -> None:
    """The permission Action is the row's action; the result is `denied`."""
    event = access_denied(
        actor=ALICE_ACTOR,
        action=Action.USERS_UPDATE,
        resource=user_resource(ADMIN_ID),
        fields=["role", "name"],
        ctx=CTX,
        now=NOW,
    )
    assert event == row(
        "access_denied",
        "users.update",
        result="denied",
        actor=str(USER_ID),
        actor_role="user",
        email="alice@example.com",
        resource=f"user:{ADMIN_ID}",
        details={"reason": "forbidden", "fields": ["name", "role"]},
    )


def test_the_cli_is_actor_cli_on_every_operator_event() -> None:
    """Actor None (the operator CLI) is `cli` with no role, on each event the CLI can cause."""
    events = [
        user_updated(
            actor=None, before=ALICE, after=replace(ALICE, active=False), ctx=CTX, now=NOW
        ),
        password_changed(actor=None, user=ALICE, sessions_revoked=0, ctx=CTX, now=NOW),
        session_revoked(actor=None, user=ALICE, sessions_revoked=2, ctx=CTX, now=NOW),
        audit.user_erased(actor=None, user=ALICE, sessions_revoked=0, ctx=CTX, now=NOW),
        audit.account_unlocked(actor=None, before=ALICE, user=ALICE, ctx=CTX, now=NOW),
    ]
    assert {(e.actor, e.actor_role) for e in events} == {(CLI_ACTOR, None)}
    assert CLI_ACTOR == "cli"


def test_user_erased_names_the_pseudonym_never_the_address() -> None:
    """The row is about the erased account: its pseudonym, never the old email or name."""
    erased = erasure.erase(ALICE, now=NOW)
    event = audit.user_erased(actor=ADMIN, user=erased, sessions_revoked=2, ctx=CTX, now=NOW)
    assert event == row(
        "user_erased",
        "erase",
        actor=str(ADMIN_ID),
        actor_role="admin",
        email=erasure.pseudonym(ALICE.id),
        resource=USER_RESOURCE,
        details={"sessions_revoked": 2},
    )
    assert "alice" not in repr(event).lower()


def test_account_unlocked_records_what_was_cleared() -> None:
    """The lock's end and the failure count as they were before the unlock."""
    until = NOW + timedelta(minutes=5)
    locked = replace(ALICE, failed_login_count=7, lockout_until=until)
    event = audit.account_unlocked(
        actor=None, before=locked, user=login.unlock(locked, NOW), ctx=CTX, now=NOW
    )
    assert (event.event_type, event.action, event.resource) == (
        "account_unlocked",
        "unlock",
        USER_RESOURCE,
    )
    assert event.details == {"locked_until": until.isoformat(), "failed_login_count": 7}


def test_access_denied_without_fields_has_only_the_reason() -> None:
    """A generator of no fields adds nothing."""
    event = access_denied(
        actor=ALICE_ACTOR, action=Action.AUDIT_LIST, fields=iter(()), ctx=CTX, now=NOW
    )
    assert (event.resource, event.details) == (None, {"reason": "forbidden"})


# --- properties of every row -----------------------------------------------------------------


def every_event() -> list[AuditEvent]:
    locked = make_user(failed_login_count=10, lockout_until=NOW + timedelta(minutes=15))
    return [
        login_succeeded(user=ALICE, session_id=SESSION_ID, ctx=CTX, now=NOW, mfa="totp"),
        login_failed(
            attempted_email=ALICE.email, user=ALICE, reason="bad_password", ctx=CTX, now=NOW
        ),
        logout(actor=ALICE_ACTOR, session_id=SESSION_ID, ctx=CTX, now=NOW),
        account_locked(user=locked, ctx=CTX, now=NOW),
        user_created(actor=ADMIN, user=ALICE, ctx=CTX, now=NOW),
        user_updated(
            actor=ADMIN, before=ALICE, after=replace(ALICE, role="viewer"), ctx=CTX, now=NOW
        ),
        user_deleted(actor=ADMIN, user=ALICE, sessions_revoked=1, ctx=CTX, now=NOW),
        password_changed(actor=ALICE_ACTOR, user=ALICE, sessions_revoked=1, ctx=CTX, now=NOW),
        session_revoked(actor=ADMIN, user=ALICE, sessions_revoked=1, ctx=CTX, now=NOW),
        audit.session_token_reused(session=ALICE_SESSION, user=ALICE, ctx=CTX, now=NOW),
        mfa_enabled(actor=ALICE_ACTOR, sessions_revoked=0, ctx=CTX, now=NOW),
        mfa_disabled(actor=ALICE_ACTOR, method="backup_code", ctx=CTX, now=NOW),
        mfa_failed(actor=ALICE_ACTOR, step="enable", blocked=False, ctx=CTX, now=NOW),
        mfa_reset(actor=ADMIN, user=ALICE, ctx=CTX, now=NOW),
        access_denied(actor=ALICE_ACTOR, action=Action.AUDIT_LIST, ctx=CTX, now=NOW),
        audit.password_reset_requested(
            attempted_email=ALICE.email, user=ALICE, outcome="queued", ctx=CTX, now=NOW
        ),
        audit.password_reset_completed(user=ALICE, sessions_revoked=2, ctx=CTX, now=NOW),
        audit.email_verification_requested(actor=ALICE_ACTOR, outcome="queued", ctx=CTX, now=NOW),
        audit.email_verified(user=ALICE, ctx=CTX, now=NOW),
        audit.user_erased(
            actor=ADMIN, user=erasure.erase(ALICE, now=NOW), sessions_revoked=1, ctx=CTX, now=NOW
        ),
        audit.account_unlocked(
            actor=None, before=locked, user=login.unlock(locked, NOW), ctx=CTX, now=NOW
        ),
    ]


def test_there_is_a_constructor_for_every_event_type() -> None:
    """The constructors cover every event type, each type by a constructor named after it."""
    events = every_event()
    assert {event.event_type for event in events} == {t.value for t in EventType}
    for event in events:
        assert callable(getattr(audit, event.event_type))


@pytest.mark.parametrize("event", every_event(), ids=lambda e: e.event_type)
def test_no_row_carries_a_secret(event: AuditEvent) -> None:
    """Neither the password hash nor the MFA secret of the user appears anywhere in a row."""
    text = repr(event)
    assert PASSWORD_HASH not in text
    assert MFA_SECRET not in text


@pytest.mark.parametrize("event", every_event(), ids=lambda e: e.event_type)
def test_every_row_carries_the_request_context_and_time(event: AuditEvent) -> None:
    """ip, user agent, correlation id and created_at come from the caller."""
    assert (event.ip, event.user_agent, event.correlation_id, event.created_at) == (
        "203.0.113.7",
        "curl/8.5.0",
        "req-42",
        NOW,
    )
    assert event.result in {"success", "failure", "denied"}


def test_an_oversized_user_agent_is_clipped_in_the_row() -> None:
    """The header is client-controlled; the column is bounded."""
    ctx = RequestContext(user_agent="a" * 10_000)
    event = logout(actor=ALICE_ACTOR, session_id=SESSION_ID, ctx=ctx, now=NOW)
    assert event.user_agent == "a" * 512
