"""User core (pure): who may call which endpoint, decided in one place.

Every route names its `Action`; the shell calls `decide` before doing anything and turns a `Deny`
into 401 (`unauthenticated`) or 403 (`forbidden`). The rules are data — one `Policy` per action in
`POLICIES` — so the whole access matrix reads as a table and a test can prove that every action
has an entry. An action without one is denied: forgetting a policy closes a route, never opens it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal
from uuid import UUID

from boundary.user.core.model import Role


class Action(StrEnum):
    """One member per endpoint of CONTRACT §5; the value is what audit rows record."""

    AUTH_LOGIN = "auth.login"
    AUTH_REFRESH = "auth.refresh"
    AUTH_LOGOUT = "auth.logout"
    AUTH_ME = "auth.me"
    AUTH_PASSWORD = "auth.password"  # noqa: S105 (an action name, not a secret)
    AUTH_MFA_SETUP = "auth.mfa_setup"
    AUTH_MFA_ENABLE = "auth.mfa_enable"
    AUTH_MFA_DISABLE = "auth.mfa_disable"
    AUTH_MFA_STATUS = "auth.mfa_status"
    AUTH_PASSWORD_RESET = "auth.password_reset"  # noqa: S105 (an action name, not a secret)
    AUTH_PASSWORD_RESET_CONFIRM = "auth.password_reset_confirm"  # noqa: S105
    AUTH_VERIFY_EMAIL_REQUEST = "auth.verify_email_request"
    AUTH_VERIFY_EMAIL_CONFIRM = "auth.verify_email_confirm"
    USERS_CREATE = "users.create"
    USERS_LIST = "users.list"
    USERS_READ = "users.read"
    USERS_UPDATE = "users.update"
    USERS_DELETE = "users.delete"
    USERS_SESSIONS_LIST = "users.sessions_list"
    USERS_SESSIONS_REVOKE = "users.sessions_revoke"
    USERS_MFA_RESET = "users.mfa_reset"
    AUDIT_LIST = "audit.list"
    SESSIONS_LIST_LIVE = "sessions.list_live"
    """Every user's live sessions at once (the admin console's Sessions page)."""
    CONSOLE_SIGN_IN = "console.sign_in"
    """Signing in to the admin console (its pages are for operators only)."""
    CONSOLE_ACT = "console.act"
    """Any change made through the admin console: viewers see, never act."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The authenticated caller, as the verified access token and live session describe it."""

    user_id: UUID
    role: Role


@dataclass(frozen=True, slots=True)
class Allow:
    """The action may proceed."""


@dataclass(frozen=True, slots=True)
class Deny:
    """The action may not proceed: `unauthenticated` → 401, `forbidden` → 403."""

    reason: Literal["unauthenticated", "forbidden"]


ALLOW: Final = Allow()


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Who may perform one action; every grant is explicit, everything else is denied.

    `anyone` admits anonymous callers; `authenticated` any signed-in user; `roles` these roles on
    any target; `self_` the actor acting on their own user id, limited to `self_fields` (the
    request's field names must be a subset) when that is given.
    """

    anyone: bool = False
    authenticated: bool = False
    roles: frozenset[Role] = frozenset()
    self_: bool = False
    self_fields: frozenset[str] | None = None


_ADMIN: Final[frozenset[Role]] = frozenset({"admin"})
_STAFF: Final[frozenset[Role]] = frozenset({"admin", "viewer"})
_PUBLIC: Final = Policy(anyone=True)
_SIGNED_IN: Final = Policy(authenticated=True)

POLICIES: Final[Mapping[Action, Policy]] = MappingProxyType(
    {
        Action.AUTH_LOGIN: _PUBLIC,
        Action.AUTH_REFRESH: _PUBLIC,
        Action.AUTH_LOGOUT: _SIGNED_IN,
        Action.AUTH_ME: _SIGNED_IN,
        Action.AUTH_PASSWORD: _SIGNED_IN,
        Action.AUTH_MFA_SETUP: _SIGNED_IN,
        Action.AUTH_MFA_ENABLE: _SIGNED_IN,
        Action.AUTH_MFA_DISABLE: _SIGNED_IN,
        Action.AUTH_MFA_STATUS: _SIGNED_IN,
        Action.AUTH_PASSWORD_RESET: _PUBLIC,
        Action.AUTH_PASSWORD_RESET_CONFIRM: _PUBLIC,
        Action.AUTH_VERIFY_EMAIL_REQUEST: _SIGNED_IN,
        Action.AUTH_VERIFY_EMAIL_CONFIRM: _PUBLIC,
        Action.USERS_CREATE: Policy(roles=_ADMIN),
        Action.USERS_LIST: Policy(roles=_STAFF),
        Action.USERS_READ: Policy(roles=_STAFF, self_=True),
        Action.USERS_UPDATE: Policy(roles=_ADMIN, self_=True, self_fields=frozenset({"name"})),
        Action.USERS_DELETE: Policy(roles=_ADMIN),
        Action.USERS_SESSIONS_LIST: Policy(roles=_ADMIN, self_=True),
        Action.USERS_SESSIONS_REVOKE: Policy(roles=_ADMIN, self_=True),
        Action.USERS_MFA_RESET: Policy(roles=_ADMIN),
        Action.AUDIT_LIST: Policy(roles=_ADMIN),
        Action.SESSIONS_LIST_LIVE: Policy(roles=_ADMIN),
        Action.CONSOLE_SIGN_IN: Policy(roles=_STAFF),
        Action.CONSOLE_ACT: Policy(roles=_ADMIN),
    }
)
"""The access matrix of CONTRACT §5, one row per action."""


def decide(
    action: Action,
    actor: Actor | None,
    *,
    target_user_id: UUID | None = None,
    fields: frozenset[str] = frozenset(),
) -> Allow | Deny:
    """Whether `actor` (None: anonymous) may perform `action` on `target_user_id`.

    `fields` are the names the request body sets — pass the raw keys the client sent, before
    validation, so a user patching their own `role` is told 403 rather than 422.
    """
    policy = POLICIES.get(action)
    if policy is not None and policy.anyone:
        return ALLOW
    if actor is None:
        return Deny("unauthenticated")
    if policy is None:
        return Deny("forbidden")
    if policy.authenticated or actor.role in policy.roles:
        return ALLOW
    if _self_allowed(policy, actor, target_user_id, fields):
        return ALLOW
    return Deny("forbidden")


def _self_allowed(
    policy: Policy, actor: Actor, target_user_id: UUID | None, fields: frozenset[str]
) -> bool:
    if not policy.self_ or target_user_id != actor.user_id:
        return False
    return policy.self_fields is None or fields <= policy.self_fields
