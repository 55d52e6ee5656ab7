"""One-time codes and random tokens (shell adapter): TOTP on pyotp, backup and session tokens.

TOTP follows RFC 6238 with the authenticator apps' defaults: SHA-1, 6 digits, 30-second steps,
a 160-bit secret (RFC 4226 §4 recommends 160 bits). Every value here that must be unguessable
comes from `secrets`.

Replay: RFC 6238 §5.2 says a verifier must not accept the same code twice. `totp_step` returns
the time step a code matched, so a service that stores the last accepted step can refuse reuse.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Final

import pyotp

TOTP_DIGITS: Final = 6
TOTP_INTERVAL: Final = 30
TOTP_SECRET_CHARS: Final = 32  # base32: 5 bits each, 160 bits
BACKUP_CODE_ALPHABET: Final = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
BACKUP_CODE_GROUPS: Final = 3
BACKUP_CODE_GROUP_CHARS: Final = 4
SESSION_TOKEN_BYTES: Final = 32


def new_totp_secret() -> str:
    """A new base32 TOTP secret (160 random bits, 32 characters, no padding)."""
    return str(pyotp.random_base32(length=TOTP_SECRET_CHARS))


def totp_uri(secret: str, *, email: str, issuer: str = "Boundary") -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads from a QR code."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer))


def verify_totp(secret: str, code: str, *, at: datetime, valid_window: int = 1) -> bool:
    """Whether `code` is the TOTP at `at` or within `valid_window` steps either side."""
    return totp_step(secret, code, at=at, valid_window=valid_window) is not None


def totp_step(secret: str, code: str, *, at: datetime, valid_window: int = 1) -> int | None:
    """The time step `code` matched (for replay checks), or None.

    `code` must be exactly six ASCII digits: pyotp's own comparison NFKC-normalises, which would
    let full-width digits through. Each candidate is compared in constant time. `at` must be
    timezone-aware: a naive datetime would silently be read as local time.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime")
    if valid_window < 0:
        raise ValueError("valid_window must not be negative")
    if len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    now_step = int(at.timestamp()) // TOTP_INTERVAL
    wanted = code.encode("ascii")
    matched = None
    for step in range(max(0, now_step - valid_window), now_step + valid_window + 1):
        candidate = str(totp.generate_otp(step)).encode("ascii")
        if hmac.compare_digest(candidate, wanted) and matched is None:
            matched = step
    return matched


def new_backup_codes(count: int = 10) -> list[str]:
    """`count` distinct one-time codes like ``k7mq-x2fa-9rtd`` (~59 random bits each).

    Never six digits, so `user.core.mfa` tells them from TOTP codes; it also normalises, hashes
    and matches them.
    """
    codes: dict[str, None] = {}  # insertion-ordered set
    while len(codes) < count:
        codes[_backup_code()] = None
    return list(codes)


def new_session_token() -> str:
    """A new opaque session token: 256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def _backup_code() -> str:
    groups = (
        "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_GROUP_CHARS))
        for _ in range(BACKUP_CODE_GROUPS)
    )
    return "-".join(groups)


class PyotpCodes:
    """The functions above as an object, for services that take a `SecretCodes` port."""

    def new_totp_secret(self) -> str:
        return new_totp_secret()

    def totp_uri(self, secret: str, *, email: str, issuer: str = "Boundary") -> str:
        return totp_uri(secret, email=email, issuer=issuer)

    def totp_step(
        self, secret: str, code: str, *, at: datetime, valid_window: int = 1
    ) -> int | None:
        return totp_step(secret, code, at=at, valid_window=valid_window)

    def new_backup_codes(self, count: int = 10) -> list[str]:
        return new_backup_codes(count)

    def new_session_token(self) -> str:
        return new_session_token()
