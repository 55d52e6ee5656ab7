"""User core (pure): the audit rows every user-module change writes, built as plain values.

The shell appends these in the same unit of work as the change they record (CONTRACT §4).
Conventions, so rows read alike and the operations guide's queries work:

* `actor` is the acting user's id as a string. Login events are the exception where nobody has
  authenticated: `actor` is the id of the account the attempt named, or — when no account has
  that email — the attempted email itself, so an operator can still follow one source.
  `CLI_ACTOR` (`cli`) stands for the operator command line, which acts without a user: a
  service called with actor None records it.
* `actor_role` is the actor's role when they are authenticated, else None — a failed login
  against an admin account is not an admin action, so the guide's `actor_role = 'admin'` query
  never lists it.
* `email` is the subject's email: the user acted upon, the account a login named (the attempted
  email, lower-cased, for unknown accounts — the guide groups `login_failed` by it), or the
  actor's own for actions on themselves and for `access_denied`.
* `resource` is `user:<id>` or `session:<id>`; `action` a short verb; `result` one of
  `success`, `failure`, `denied`.
* `details` holds field names, counts and reasons — never passwords, hashes, secrets, codes or
  tokens, nor personal values such as names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Literal
from uuid import UUID

from boundary.user.core.login import LoginFailed, LoginFailureReason, MfaRequired
from boundary.user.core.model import AuditEvent, Role, Session, User
from boundary.user.core.sessions import clip_user_agent
from boundary.user.core.text import visible
from boundary.user.core.validation import MAX_EMAIL_LENGTH

CLI_ACTOR: Final = "cli"

Result = Literal["success", "failure", "denied"]
MfaMethod = Literal["totp", "backup_code"]
MfaStep = Literal["enable", "disable"]
LoginRefusalReason = LoginFailureReason | Literal["invalid_input", "email_not_verified"]
"""Why a login was refused: a decision's reason, or input refused before any decision."""

_AUDITED_USER_FIELDS: Final = ("email", "name", "role", "active")
_VALUES_SHOWN: Final = frozenset({"role", "active"})


class EventType(StrEnum):
    """The `event_type` values of CONTRACT §4."""

    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ACCOUNT_LOCKED = "account_locked"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DELETED = "user_deleted"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name, not a secret)
    SESSION_REVOKED = "session_revoked"
    SESSION_TOKEN_REUSED = "session_token_reused"  # noqa: S105 (an event name, not a secret)
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    MFA_FAILED = "mfa_failed"
    ACCESS_DENIED = "access_denied"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 (an event name)
    PASSWORD_RESET_COMPLETED = "password_reset_completed"  # noqa: S105 (an event name)
    EMAIL_VERIFICATION_REQUESTED = "email_verification_requested"
    EMAIL_VERIFIED = "email_verified"
    USER_ERASED = "user_erased"
    ACCOUNT_UNLOCKED = "account_unlocked"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    """Where a request came from: the client IP (after trusted-proxy rules) and its ids."""

    ip: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None
    via: str | None = None
    """The adapter the request came through when it is not the JSON API (e.g.
    `admin-console`); every audit row of the request then says so in `details["via"]`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorRef:
    """The authenticated user performing an action."""

    id: UUID
    role: Role
    email: str


def actor_of(user: User) -> ActorRef:
    """The user as the actor of their own request."""
    return ActorRef(id=user.id, role=user.role, email=user.email)


def user_resource(user_id: UUID) -> str:
    return f"user:{user_id}"


def session_resource(session_id: UUID) -> str:
    return f"session:{session_id}"


def _event(
    event_type: EventType,
    *,
    action: str,
    result: Result,
    ctx: RequestContext,
    now: datetime,
    actor: str | None,
    actor_role: str | None,
    email: str | None,
    resource: str | None,
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    return AuditEvent(
        event_type=event_type.value,
        action=action,
        result=result,
        created_at=now,
        actor=actor,
        actor_role=actor_role,
        email=email,
        resource=resource,
        ip=ctx.ip,
        user_agent=clip_user_agent(ctx.user_agent),
        correlation_id=ctx.correlation_id,
        details=_with_via(details, ctx.via),
    )


def _with_via(details: Mapping[str, object] | None, via: str | None) -> dict[str, object]:
    """The row's details, plus `via` when the request came through another adapter."""
    out = dict(details or {})
    if via is not None:
        out["via"] = via
    return out


def _by(actor: ActorRef | None) -> tuple[str, str | None]:
    """(actor, actor_role) for an authenticated actor or the CLI."""
    return (CLI_ACTOR, None) if actor is None else (str(actor.id), actor.role)


# --- authentication --------------------------------------------------------------------------


def login_succeeded(
    *,
    user: User,
    session_id: UUID,
    ctx: RequestContext,
    now: datetime,
    mfa: MfaMethod | None = None,
) -> AuditEvent:
    """A login that opened session `session_id`; `mfa` says which second factor was used."""
    details: dict[str, object] = {"session_id": str(session_id)}
    if mfa is not None:
        details["mfa"] = mfa
    return _event(
        EventType.LOGIN_SUCCEEDED,
        action="login",
        result="success",
        ctx=ctx,
        now=now,
        actor=str(user.id),
        actor_role=user.role,
        email=user.email,
        resource=user_resource(user.id),
        details=details,
    )


def login_failed(
    *,
    attempted_email: str,
    user: User | None,
    reason: LoginRefusalReason,
    ctx: RequestContext,
    now: datetime,
) -> AuditEvent:
    """A refused login; `user` is the account the email named, None when there is none.

    The attempted email is stored as sent (trimmed, lower-cased, cut to the column's length)
    with control characters written as `\\uXXXX`: a NUL cannot be stored at all, and the
    others would mislead whoever reads the log.
    """
    attempted = visible(attempted_email.strip().lower())[:MAX_EMAIL_LENGTH]
    return _event(
        EventType.LOGIN_FAILED,
        action="login",
        result="failure",
        ctx=ctx,
        now=now,
        actor=attempted if user is None else str(user.id),
        actor_role=None,
        email=attempted if user is None else user.email,
        resource=None if user is None else user_resource(user.id),
        details={"reason": reason},
    )


def account_locked(*, user: User, ctx: RequestContext, now: datetime) -> AuditEvent:
    """The failure recorded in `user` (its updated row) locked the account until `lockout_until`."""
    until = None if user.lockout_until is None else user.lockout_until.isoformat()
    return _event(
        EventType.ACCOUNT_LOCKED,
        action="lock",
        result="success",
        ctx=ctx,
        now=now,
        actor=str(user.id),
        actor_role=None,
        email=user.email,
        resource=user_resource(user.id),
        details={"locked_until": until, "failed_login_count": user.failed_login_count},
    )


def failed_login_events(
    decision: LoginFailed | MfaRequired,
    *,
    subject: User | None,
    attempted_email: str,
    ctx: RequestContext,
    now: datetime,
) -> tuple[AuditEvent, ...]:
    """The rows a refused login writes: `login_failed`, plus `account_locked` when it locked.

    `subject` is the user the email found (as gathered, before the decision). A request that
    merely lacked its MFA code writes nothing — it is the first half of a normal MFA login,
    not a failure — while a wrong code is a `login_failed` with reason `bad_mfa_code`.
    """
    if isinstance(decision, MfaRequired):
        if decision.user is None:
            return ()
        reason: LoginFailureReason = "bad_mfa_code"
    else:
        reason = decision.reason
    failed = login_failed(
        attempted_email=attempted_email, user=subject, reason=reason, ctx=ctx, now=now
    )
    if isinstance(decision, LoginFailed) and decision.locked_now and decision.user is not None:
        return (failed, account_locked(user=decision.user, ctx=ctx, now=now))
    return (failed,)


def logout(*, actor: ActorRef, session_id: UUID, ctx: RequestContext, now: datetime) -> AuditEvent:
    return _event(
        EventType.LOGOUT,
        action="logout",
        result="success",
        ctx=ctx,
        now=now,
        actor=str(actor.id),
        actor_role=actor.role,
        email=actor.email,
        resource=session_resource(session_id),
    )


def password_changed(
    *,
    actor: ActorRef | None,
    user: User,
    sessions_revoked: int,
    ctx: RequestContext,
    now: datetime,
) -> AuditEvent:
    """`user`'s password changed (by themselves, or by the CLI when actor is None)."""
    by, role = _by(actor)
    return _event(
        EventType.PASSWORD_CHANGED,
        action="change_password",
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=user.email,
        resource=user_resource(user.id),
        details={"sessions_revoked": sessions_revoked},
    )


def session_revoked(
    *,
    actor: ActorRef | None,
    user: User,
    sessions_revoked: int,
    ctx: RequestContext,
    now: datetime,
    session_id: UUID | None = None,
) -> AuditEvent:
    """Sessions of `user` revoked (by an admin, the user, or the CLI when actor is None): one
    (`session_id`) or all of them (resource `user:<id>`)."""
    resource = user_resource(user.id) if session_id is None else session_resource(session_id)
    by, role = _by(actor)
    return _event(
        EventType.SESSION_REVOKED,
        action="revoke",
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=user.email,
        resource=resource,
        details={"sessions_revoked": sessions_revoked},
    )


def session_token_reused(
    *, session: Session, user: User | None, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """A session token that a refresh had already replaced was presented again: someone else
    may hold a copy, so the session was revoked (refused as `denied`). Nobody authenticated:
    `actor` is the session's user, as for login events."""
    return _event(
        EventType.SESSION_TOKEN_REUSED,
        action="refresh",
        result="denied",
        ctx=ctx,
        now=now,
        actor=str(session.user_id),
        actor_role=None,
        email=None if user is None else user.email,
        resource=session_resource(session.id),
        details={"reason": "token_reused", "sessions_revoked": 1},
    )


def mfa_enabled(
    *, actor: ActorRef, sessions_revoked: int, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """MFA switched on; the actor's other sessions were revoked in the same unit of work."""
    return _self_event(
        EventType.MFA_ENABLED,
        "enable_mfa",
        actor=actor,
        ctx=ctx,
        now=now,
        details={"sessions_revoked": sessions_revoked},
    )


def mfa_failed(
    *, actor: ActorRef, step: MfaStep, blocked: bool, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """A wrong code on enable/disable (`failure`), or an attempt refused unchecked because the
    user sent too many wrong ones (`denied`, a 429)."""
    return _event(
        EventType.MFA_FAILED,
        action=f"{step}_mfa",
        result="denied" if blocked else "failure",
        ctx=ctx,
        now=now,
        actor=str(actor.id),
        actor_role=actor.role,
        email=actor.email,
        resource=user_resource(actor.id),
        details={"reason": "too_many_failures" if blocked else "bad_code"},
    )


def mfa_reset(
    *, actor: ActorRef | None, user: User, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """An admin (or the CLI, actor None) switched `user`'s MFA off and deleted the backup codes
    — for a user who lost both the device and the codes."""
    by, role = _by(actor)
    return _event(
        EventType.MFA_DISABLED,
        action="reset_mfa",
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=user.email,
        resource=user_resource(user.id),
        details={"method": "admin_reset"},
    )


def mfa_disabled(
    *, actor: ActorRef, method: MfaMethod, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """MFA switched off, confirmed by a TOTP code or a backup code (`method`)."""
    return _self_event(
        EventType.MFA_DISABLED,
        "disable_mfa",
        actor=actor,
        ctx=ctx,
        now=now,
        details={"method": method},
    )


def _self_event(
    event_type: EventType,
    action: str,
    *,
    actor: ActorRef,
    ctx: RequestContext,
    now: datetime,
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """An action the actor performed on their own account."""
    return _event(
        event_type,
        action=action,
        result="success",
        ctx=ctx,
        now=now,
        actor=str(actor.id),
        actor_role=actor.role,
        email=actor.email,
        resource=user_resource(actor.id),
        details=details,
    )


# --- user administration ---------------------------------------------------------------------


def user_created(
    *, actor: ActorRef | None, user: User, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """`user` created by an admin, or by the CLI when actor is None."""
    by, role = _by(actor)
    return _event(
        EventType.USER_CREATED,
        action="create",
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=user.email,
        resource=user_resource(user.id),
        details={"role": user.role},
    )


def user_updated(
    *, actor: ActorRef | None, before: User, after: User, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """A profile change: the changed field names, with old and new values for role and active."""
    by, role = _by(actor)
    return _event(
        EventType.USER_UPDATED,
        action="update",
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=after.email,
        resource=user_resource(after.id),
        details=_changes(before, after),
    )


def _changes(before: User, after: User) -> dict[str, object]:
    old = {name: getattr(before, name) for name in _AUDITED_USER_FIELDS}
    new = {name: getattr(after, name) for name in _AUDITED_USER_FIELDS}
    changed = [name for name in _AUDITED_USER_FIELDS if old[name] != new[name]]
    details: dict[str, object] = {"fields": changed}
    for name in (name for name in changed if name in _VALUES_SHOWN):
        details[name] = {"from": old[name], "to": new[name]}
    return details


def user_deleted(
    *,
    actor: ActorRef | None,
    user: User,
    sessions_revoked: int,
    ctx: RequestContext,
    now: datetime,
) -> AuditEvent:
    """`user` soft-deleted; their sessions were revoked in the same unit of work."""
    return _user_removed(EventType.USER_DELETED, "delete", actor, user, sessions_revoked, ctx, now)


def user_erased(
    *,
    actor: ActorRef | None,
    user: User,
    sessions_revoked: int,
    ctx: RequestContext,
    now: datetime,
) -> AuditEvent:
    """`user` erased (`user.core.erasure`): `user` is the anonymised row, so the row's email
    is the pseudonym, and its sessions were revoked in the same unit of work."""
    return _user_removed(EventType.USER_ERASED, "erase", actor, user, sessions_revoked, ctx, now)


def _user_removed(
    event_type: EventType,
    action: str,
    actor: ActorRef | None,
    user: User,
    sessions_revoked: int,
    ctx: RequestContext,
    now: datetime,
) -> AuditEvent:
    by, role = _by(actor)
    return _event(
        event_type,
        action=action,
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=user.email,
        resource=user_resource(user.id),
        details={"sessions_revoked": sessions_revoked},
    )


def account_unlocked(
    *, actor: ActorRef | None, before: User, user: User, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """An operator (the CLI when actor is None) ended `user`'s lockout early and cleared the
    failed-login count (`before` is the row as it was)."""
    by, role = _by(actor)
    until = None if before.lockout_until is None else before.lockout_until.isoformat()
    return _event(
        EventType.ACCOUNT_UNLOCKED,
        action="unlock",
        result="success",
        ctx=ctx,
        now=now,
        actor=by,
        actor_role=role,
        email=user.email,
        resource=user_resource(user.id),
        details={"locked_until": until, "failed_login_count": before.failed_login_count},
    )


def access_denied(
    *,
    actor: ActorRef,
    action: str,
    ctx: RequestContext,
    now: datetime,
    resource: str | None = None,
    fields: Iterable[str] = (),
) -> AuditEvent:
    """An authenticated actor refused an action (a 403); `action` is the permission `Action`.

    Only 403s are audited: anonymous 401s come from anyone on the internet and would let them
    fill the audit table, so they go to logs and metrics instead.
    """
    details: dict[str, object] = {"reason": "forbidden"}
    if names := sorted(fields):
        details["fields"] = names
    return _event(
        EventType.ACCESS_DENIED,
        action=action,
        result="denied",
        ctx=ctx,
        now=now,
        actor=str(actor.id),
        actor_role=actor.role,
        email=actor.email,
        resource=resource,
        details=details,
    )


# --- account recovery and verification -------------------------------------------------------

MailOutcome = Literal["queued", "rate_limited", "no_account"]
"""What a reset or verification request did: queued a mail, hit the hourly per-email limit,
or (reset only) named no active account."""


def password_reset_requested(
    *,
    attempted_email: str,
    user: User | None,
    outcome: MailOutcome,
    ctx: RequestContext,
    now: datetime,
) -> AuditEvent:
    """A reset was asked for `attempted_email` (anonymously: nobody is the actor but the
    account it named, or the address itself when it names none)."""
    attempted = visible(attempted_email.strip().lower())[:MAX_EMAIL_LENGTH]
    return _event(
        EventType.PASSWORD_RESET_REQUESTED,
        action="request_password_reset",
        result="success" if outcome == "queued" else "failure",
        ctx=ctx,
        now=now,
        actor=attempted if user is None else str(user.id),
        actor_role=None,
        email=attempted if user is None else user.email,
        resource=None if user is None else user_resource(user.id),
        details={"outcome": outcome},
    )


def password_reset_completed(
    *, user: User, sessions_revoked: int, ctx: RequestContext, now: datetime
) -> AuditEvent:
    """`user` set a new password through a reset link; every session was revoked."""
    return _event(
        EventType.PASSWORD_RESET_COMPLETED,
        action="reset_password",
        result="success",
        ctx=ctx,
        now=now,
        actor=str(user.id),
        actor_role=None,
        email=user.email,
        resource=user_resource(user.id),
        details={"sessions_revoked": sessions_revoked},
    )


def email_verification_requested(
    *, actor: ActorRef, outcome: MailOutcome, ctx: RequestContext, now: datetime
) -> AuditEvent:
    return _event(
        EventType.EMAIL_VERIFICATION_REQUESTED,
        action="request_email_verification",
        result="success" if outcome == "queued" else "failure",
        ctx=ctx,
        now=now,
        actor=str(actor.id),
        actor_role=actor.role,
        email=actor.email,
        resource=user_resource(actor.id),
        details={"outcome": outcome},
    )


def email_verified(*, user: User, ctx: RequestContext, now: datetime) -> AuditEvent:
    """`user` opened a verification link sent to their current address."""
    return _event(
        EventType.EMAIL_VERIFIED,
        action="verify_email",
        result="success",
        ctx=ctx,
        now=now,
        actor=str(user.id),
        actor_role=None,
        email=user.email,
        resource=user_resource(user.id),
    )
