"""User core (pure): erasure — what is left of an account once its person is forgotten.

Erasure (`users erase`, `DELETE /api/v1/users/{id}?erase=true`) keeps the row and its id, so
audit rows and foreign keys still have a subject, but nothing in it names a person any more:

* the email becomes the account's pseudonym, `erased-<id>@erased.invalid` (`.invalid` is a
  reserved top-level domain, so no mailbox has it) — unique, and the address is free again;
* the name is emptied, the password hash made unusable, MFA switched off with its secret gone;
* the account is inactive and (if it was not already) soft-deleted.

Audit rows that carried the old address take the pseudonym instead; they stay under the same
user id, which the anonymised row no longer links to anybody.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Final
from uuid import UUID

from boundary.user.core.model import User

ERASED_DOMAIN: Final = "erased.invalid"
UNUSABLE_PASSWORD_HASH: Final = "!erased"  # noqa: S105 (no hash at all: nothing verifies against it)
"""Not an argon2 hash: every password check against it fails."""


def pseudonym(user_id: UUID) -> str:
    """The address an erased account (and its audit rows) carries instead of the real one."""
    return f"erased-{user_id.hex}@{ERASED_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == pseudonym(user.id)


def erase(user: User, *, now: datetime) -> User:
    """`user` anonymised (see the module docstring); `deleted_at` kept when already set."""
    return replace(
        user,
        email=pseudonym(user.id),
        name="",
        password_hash=UNUSABLE_PASSWORD_HASH,
        active=False,
        mfa_enabled=False,
        mfa_secret=None,
        failed_login_count=0,
        lockout_until=None,
        last_login=None,
        updated_at=now,
        deleted_at=user.deleted_at or now,
    )
