"""Account core (pure): mailed tokens — their hash, validity and link — and the hourly limit.

A token is ≥ 32 random bytes (made by the shell), sent once inside a link and stored only as
its SHA-256 hex: a leaked table row cannot be turned back into a working link. A token is
good once, until its expiry, and only while no newer token of the same kind was issued.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal
from urllib.parse import quote
from uuid import UUID

TokenKind = Literal["password_reset", "email_verification"]
MAILS_PER_HOUR: Final = 3
"""At most this many mails of one kind to one address per hour; more requests still answer
202 but queue nothing."""
RATE_WINDOW: Final = timedelta(hours=1)
MAX_TOKEN_LENGTH: Final = 256
PAGES: Final[dict[TokenKind, str]] = {
    "password_reset": "/account/reset-password",
    "email_verification": "/account/verify-email",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountToken:
    """A row of `account_tokens`."""

    id: UUID
    user_id: UUID
    kind: TokenKind
    token_hash: str
    email: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


def hash_token(raw: str) -> str:
    """The stored form of a token: SHA-256 hex (the token has ≥ 256 bits of entropy, so a
    plain hash is enough; a slow hash would only slow down honest redemption)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_token(
    *, id: UUID, user_id: UUID, kind: TokenKind, raw: str, email: str, now: datetime, ttl: float
) -> AccountToken:
    return AccountToken(
        id=id,
        user_id=user_id,
        kind=kind,
        token_hash=hash_token(raw),
        email=email,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )


def may_send(recent: int) -> bool:
    """Whether another mail may go to an address that got `recent` in the last hour."""
    return recent < MAILS_PER_HOUR


TokenProblem = Literal["unknown", "wrong_kind", "used", "expired", "email_changed"]


def check_token(
    token: AccountToken | None, *, kind: TokenKind, now: datetime, current_email: str | None
) -> TokenProblem | None:
    """Why `token` cannot be redeemed now, or None when it can. `current_email` is the
    account's address now: a verification proves only the address it was sent to."""
    if token is None:
        return "unknown"
    if token.kind != kind:
        return "wrong_kind"
    if token.used_at is not None:
        return "used"
    if now >= token.expires_at:
        return "expired"
    if current_email is None or current_email.lower() != token.email.lower():
        return "email_changed"
    return None


def well_formed(raw: object) -> bool:
    """A plausible token: a non-empty URL-safe string of sane length (anything else is
    refused without a database round trip)."""
    return (
        isinstance(raw, str)
        and 0 < len(raw) <= MAX_TOKEN_LENGTH
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in raw)
    )


def link(public_url: str, kind: TokenKind, raw: str) -> str:
    """`{public_url}/account/…?token=…`, the one link of the mail."""
    return f"{public_url.rstrip('/')}{PAGES[kind]}?token={quote(raw, safe='')}"
