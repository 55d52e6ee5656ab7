"""User core (pure): the entity's transitions from validated input — a new user, a patch.

`validation` checks what a client sent and returns `NewUser` / `UserPatch`; this module turns
them into the `User` to store, and says which fields a patch really changes (for the audit row
and the no-op check).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from boundary.user.core.model import User
from boundary.user.core.validation import NewUser, UserPatch


def create_user(new: NewUser, *, id: UUID, password_hash: str, now: datetime) -> User:
    """The `User` to insert for a validated request: active, no MFA, no logins yet."""
    return User(
        id=id,
        email=new.email,
        name=new.name,
        password_hash=password_hash,
        role=new.role,
        created_at=now,
        updated_at=now,
    )


def changed_fields(user: User, patch: UserPatch) -> frozenset[str]:
    """The patch's fields whose value differs from the user's (for audit and a no-op check)."""
    current: dict[str, object] = {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
    }
    wanted: dict[str, object] = {
        "email": patch.email,
        "name": patch.name,
        "role": patch.role,
        "active": patch.active,
    }
    return frozenset(key for key in patch.fields if wanted[key] != current[key])


def apply_user_patch(user: User, patch: UserPatch, *, now: datetime) -> User:
    """The user with the patch applied; `updated_at` moves only when something changed. A new
    email is not verified (whoever reads mail there has not proved it yet)."""
    changed = changed_fields(user, patch)
    if not changed:
        return user
    return replace(
        user,
        email=user.email if patch.email is None else patch.email,
        email_verified_at=None if "email" in changed else user.email_verified_at,
        name=user.name if patch.name is None else patch.name,
        role=user.role if patch.role is None else patch.role,
        active=user.active if patch.active is None else patch.active,
        updated_at=now,
    )
