"""Builders shared by the tests: one `NOW`, one `make_user`, one `make_session`, one
`make_account_token`.

A module that needs other defaults (a fixed id, a name its assertions mention) passes them as
overrides, or wraps `make_user` in one line; it does not write its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from boundary.account.core import AccountToken, hash_token
from boundary.user.core.model import Session, User

NOW = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)
"""The tests' fixed "now": a Saturday noon, UTC."""
NOW_PRECISE = NOW.replace(microsecond=123456)
"""`NOW` with microseconds, for tests that check they survive a round trip."""
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
"""A well-formed argon2id PHC string (of no known password)."""


def make_user(**overrides: Any) -> User:
    """A live, active user created at `NOW`; a fresh id and an email unique to it unless given."""
    user_id = overrides.pop("id", None) or uuid4()
    values: dict[str, Any] = {
        "id": user_id,
        "email": f"user-{user_id.hex[:12]}@example.com",
        "name": "Ada Lovelace",
        "password_hash": PASSWORD_HASH,
        "role": "user",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return User(**(values | overrides))


def make_session(user: User | None = None, **overrides: Any) -> Session:
    """A live session of `user` (or of `overrides["user_id"]`) opened at `NOW` for 12 hours;
    its token hash is unique to it unless given."""
    session_id = overrides.pop("id", None) or uuid4()
    values: dict[str, Any] = {
        "id": session_id,
        "user_id": user.id if user is not None else uuid4(),
        "token_hash": session_id.hex * 2,
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=12),
    }
    return Session(**(values | overrides))


def make_account_token(user: User | None = None, **overrides: Any) -> AccountToken:
    """An unused password-reset token of `user` (or of `overrides["user_id"]`) for its email,
    issued at `NOW` for an hour; its hash is unique to it unless given."""
    token_id = overrides.pop("id", None) or uuid4()
    values: dict[str, Any] = {
        "id": token_id,
        "user_id": user.id if user is not None else uuid4(),
        "kind": "password_reset",
        "token_hash": hash_token(token_id.hex),
        "email": user.email if user is not None else "someone@example.com",
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=1),
    }
    return AccountToken(**(values | overrides))
