"""User core (pure): the claims of an access token, as plain data.

The shell signs and verifies (HS256 only, the algorithm fixed by configuration and never read from
the token); this module decides what goes into a token and whether decoded claims describe a
usable access token. A valid token is still honoured only while its session is live
(`sessions.check_session_for_user`), so `sid` and `role` are checked against the database on
every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from boundary.user.core.model import ROLES, Role
from boundary.user.core.sessions import Invalid

TOKEN_TYPE_CLAIM: Final = "token_type"  # noqa: S105 (a claim name, not a secret)
ACCESS: Final = "access"
"""The `token_type` of an access token; any other value is refused by `check_claims`."""

REQUIRED_CLAIMS: Final = ("sub", "sid", "role", "iat", "exp", "jti", TOKEN_TYPE_CLAIM)

MAX_IAT_SKEW_SECONDS: Final = 30
"""How far in the future `iat` may lie: clock drift between replicas, nothing more."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessClaims:
    """A decoded access token whose claims are all present, typed and current."""

    user_id: UUID
    session_id: UUID
    role: Role
    issued_at: datetime
    expires_at: datetime
    jti: str


def access_claims(
    *, user_id: UUID, session_id: UUID, role: Role, now: datetime, ttl_seconds: int, jti: str
) -> dict[str, object]:
    """The claims to sign: ids as strings, times as whole epoch seconds (`exp = iat + ttl`).

    The response's `expires_in` is `ttl_seconds`.
    """
    if ttl_seconds <= 0:
        raise ValueError(f"access token ttl_seconds must be positive, got {ttl_seconds}")
    issued = int(now.timestamp())
    return {
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": jti,
        TOKEN_TYPE_CLAIM: ACCESS,
    }


def check_claims(claims: Mapping[str, object], now: datetime) -> AccessClaims | Invalid:
    """The typed claims, or why the token is unusable.

    `malformed`: a claim is missing or of the wrong type/shape, or `exp <= iat`;
    `wrong_token_type`: not an access token; `expired`: `exp <= now` (no leeway);
    `not_yet_valid`: `iat` more than `MAX_IAT_SKEW_SECONDS` ahead of `now`.
    """
    parsed = _parse(claims)
    if parsed is None:
        return Invalid("malformed")
    if claims[TOKEN_TYPE_CLAIM] != ACCESS:
        return Invalid("wrong_token_type")
    if parsed.expires_at <= parsed.issued_at:
        return Invalid("malformed")
    if parsed.expires_at <= now:
        return Invalid("expired")
    if (parsed.issued_at - now).total_seconds() > MAX_IAT_SKEW_SECONDS:
        return Invalid("not_yet_valid")
    return parsed


def _parse(claims: Mapping[str, object]) -> AccessClaims | None:
    """The claims typed, or None when any is missing or malformed."""
    user_id = _uuid(claims.get("sub"))
    session_id = _uuid(claims.get("sid"))
    role = _role(claims.get("role"))
    issued_at = _epoch(claims.get("iat"))
    expires_at = _epoch(claims.get("exp"))
    jti = claims.get("jti")
    if (
        user_id is None
        or session_id is None
        or role is None
        or issued_at is None
        or expires_at is None
        or not isinstance(jti, str)
        or not jti
        or not isinstance(claims.get(TOKEN_TYPE_CLAIM), str)
    ):
        return None
    return AccessClaims(
        user_id=user_id,
        session_id=session_id,
        role=role,
        issued_at=issued_at,
        expires_at=expires_at,
        jti=jti,
    )


def _uuid(value: object) -> UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def _role(value: object) -> Role | None:
    for role in ROLES:
        if value == role:
            return role
    return None


def _epoch(value: object) -> datetime | None:
    """Whole epoch seconds as a UTC datetime; floats, booleans and out-of-range values fail."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
