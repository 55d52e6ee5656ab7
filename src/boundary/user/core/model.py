"""User core entities: frozen plain data, changed with `dataclasses.replace`.

Timestamps are timezone-aware UTC datetimes everywhere; adapters convert at the edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

Role = Literal["admin", "user", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "user", "viewer")


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: UUID
    email: str
    name: str
    password_hash: str
    role: Role
    active: bool = True
    mfa_enabled: bool = False
    mfa_secret: str | None = None
    mfa_last_step: int | None = None
    """The TOTP time step of the last code accepted: a code of that step or an earlier one is a
    replay (written only through `Users.claim_totp_step`, never by `save`)."""
    failed_login_count: int = 0
    lockout_until: datetime | None = None
    login_count: int = 0
    last_login: datetime | None = None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    email_verified_at: datetime | None = None
    """When the user proved they read mail at `email`; None until then, and again after the
    email changes (written by the verification, never by `save`, which only clears it)."""


def email_verified(user: User) -> bool:
    """Whether the user's current address is verified (the `email_verified` of user JSON)."""
    return user.email_verified_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A server-side session; the raw token is never stored, only its hash."""

    id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None = None
    revoked_at: datetime | None = None
    ip: str | None = None
    user_agent: str | None = None
    previous_token_hash: str | None = None
    """The hash of the session token the last refresh replaced: presented again, it reveals a
    copied token (reuse) and the session is revoked. None until the first refresh."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """One audit row; `id` is assigned by the database."""

    event_type: str
    action: str
    result: str
    created_at: datetime
    actor: str | None = None
    actor_role: str | None = None
    email: str | None = None
    resource: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFilter:
    """`GET /api/v1/users` filters; soft-deleted users are never listed."""

    role: Role | None = None
    active: bool | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    event_type: str | None = None
    actor: str | None = None
    since: datetime | None = None
