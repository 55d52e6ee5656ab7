"""User core (pure): server-side sessions — creating, checking, touching and revoking them.

An access token is honoured only while its session row is live, so every authenticated request
runs `check_session_for_user` on the session and user read in one round trip. The raw session
token never reaches the database: only `hash_token(raw)` is stored and looked up. SHA-256 (not a
slow hash) is right here because the token is 256 random bits, not a guessable password.

Each refresh rotates the session token (`rotate`): the old one stops working, and its hash is
kept so that presenting it again is recognised as a reuse — a sign that someone else holds a
copy — which revokes the session.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Literal
from uuid import UUID

from boundary.user.core.model import Session, User

SessionInvalidReason = Literal[
    "not_found",
    "revoked",
    "expired",
    "user_inactive",
    "user_deleted",
    "role_changed",
    "token_reused",
]
TokenInvalidReason = Literal["malformed", "wrong_token_type", "expired", "not_yet_valid"]
InvalidReason = SessionInvalidReason | TokenInvalidReason

MAX_USER_AGENT_LENGTH: Final = 512
"""Longer `User-Agent` values are cut here before they are stored (sessions and audit rows)."""

DEFAULT_TOUCH_INTERVAL_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a session or access token cannot authenticate; every reason means 401 to clients.

    Shared by `sessions` and `tokens` so the shell has one type to map. The reason is for logs
    and metrics, never for the response body.
    """

    reason: InvalidReason


def hash_token(raw: str) -> str:
    """The lower-case hex SHA-256 of the token's UTF-8 bytes: what `token_hash` stores."""
    return hashlib.sha256(raw.encode()).hexdigest()


def clip_user_agent(user_agent: str | None) -> str | None:
    """The header value cut to `MAX_USER_AGENT_LENGTH` characters (clients control its size)."""
    return None if user_agent is None else user_agent[:MAX_USER_AGENT_LENGTH]


def new_session(
    *,
    id: UUID,
    user_id: UUID,
    token_hash: str,
    now: datetime,
    ttl_seconds: int,
    ip: str | None,
    user_agent: str | None,
) -> Session:
    """A session that lives `ttl_seconds` from `now`; it counts as seen at creation."""
    if ttl_seconds <= 0:
        raise ValueError(f"session ttl_seconds must be positive, got {ttl_seconds}")
    return Session(
        id=id,
        user_id=user_id,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        last_seen_at=now,
        ip=ip,
        user_agent=clip_user_agent(user_agent),
    )


def check_session(session: Session | None, now: datetime) -> Session | Invalid:
    """The live session, or why it cannot be used; at `expires_at` itself it has expired."""
    if session is None:
        return Invalid("not_found")
    if session.revoked_at is not None:
        return Invalid("revoked")
    if session.expires_at <= now:
        return Invalid("expired")
    return session


def check_session_for_user(
    session: Session | None,
    user: User | None,
    *,
    now: datetime,
    token_role: str | None = None,
) -> Session | Invalid:
    """The live session of a usable user, or why the request must be refused.

    `token_role` is the access token's `role` claim: a token minted before a role change stops
    working on the next request, so a downgrade takes effect at once and the client refreshes
    to get the new role. Pass None where no access token is involved (refresh). A locked
    account keeps its sessions: lockout answers password guessing, and ending the owner's
    sessions would hand the guesser a way to log them out.
    """
    checked = check_session(session, now)
    if isinstance(checked, Invalid):
        return checked
    if user is None or user.id != checked.user_id:
        return Invalid("not_found")
    if user.deleted_at is not None:
        return Invalid("user_deleted")
    if not user.active:
        return Invalid("user_inactive")
    if token_role is not None and token_role != user.role:
        return Invalid("role_changed")
    return checked


def should_touch(
    session: Session, now: datetime, interval_seconds: int = DEFAULT_TOUCH_INTERVAL_SECONDS
) -> bool:
    """Whether to write `last_seen_at` now: at most once per interval, not on every request."""
    if session.last_seen_at is None:
        return True
    return now - session.last_seen_at >= timedelta(seconds=interval_seconds)


def is_idle(session: Session, now: datetime, idle_seconds: float) -> bool:
    """Whether nobody used the session for longer than `idle_seconds` (its last use is
    `last_seen_at`, written at most once per touch interval, else its creation)."""
    seen = session.last_seen_at or session.created_at
    return now - seen > timedelta(seconds=idle_seconds)


def touch(session: Session, now: datetime) -> Session:
    """The session seen at `now`."""
    return replace(session, last_seen_at=now)


def rotate(session: Session, *, new_token_hash: str, now: datetime) -> Session:
    """The session after a refresh: it answers to the new token only, remembers the hash it
    replaced (to recognise a reuse of that token) and counts as seen."""
    return replace(
        session,
        token_hash=new_token_hash,
        previous_token_hash=session.token_hash,
        last_seen_at=now,
    )


def revoke(session: Session, now: datetime) -> Session:
    """The session revoked at `now`; an already revoked one keeps its first `revoked_at`."""
    if session.revoked_at is not None:
        return session
    return replace(session, revoked_at=now)
