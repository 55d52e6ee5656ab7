"""User core (pure): the deterministic parts of TOTP multi-factor authentication.

The shell generates secrets and backup codes (randomness) and verifies TOTP codes (pyotp); this
module decides whether each MFA step is allowed, what the user row becomes, and how backup codes
are normalised, stored (as SHA-256 hashes only) and matched.

Lifecycle: `begin_setup` stores a pending secret (`mfa_secret` set, `mfa_enabled` false);
`enable` switches it on once a code from the authenticator app verifies against that secret;
`disable` clears both. Backup codes live outside the `users` row, keyed by their hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal, TypeVar

from boundary.user.core.model import User

T = TypeVar("T")

MFA_REQUIRED_SLUG: Final = "mfa-required"
"""Problem slug of the login 401 that asks for a code (its `type` ends in `mfa-required`)."""

BACKUP_CODE_COUNT: Final = 10
BACKUP_CODE_BYTES: Final = 6
"""Suggested randomness per backup code: `secrets.token_hex(6)` → 12 hex digits, 48 bits."""
BACKUP_CODE_GROUP: Final = 4
TOTP_DIGITS: Final = 6

_IGNORED_IN_CODES: Final = str.maketrans("", "", "- \t")

CodeKind = Literal["missing", "totp", "backup"]
MfaRefusal = Literal["already_enabled", "not_set_up", "not_enabled", "bad_code"]


@dataclass(frozen=True, slots=True)
class Refused:
    """An MFA step that may not happen: `bad_code` → 422, the others → 409 (state conflict)."""

    reason: MfaRefusal


BAD_CODE: Final = Refused("bad_code")


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaStatus:
    """The body of `GET /api/v1/auth/mfa/status`."""

    enabled: bool
    backup_codes_remaining: int


# --- codes -----------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """The code as compared: trimmed, lower-cased, without dashes, spaces or tabs."""
    return code.strip().lower().translate(_IGNORED_IN_CODES)


def code_kind(code: str | None) -> CodeKind:
    """Which check an `mfa_code` calls for.

    Six digits are a TOTP code, anything else a backup code (a code of neither shape then simply
    fails to match).
    """
    if code is None:
        return "missing"
    normalized = normalize_code(code)
    if not normalized:
        return "missing"
    if len(normalized) == TOTP_DIGITS and normalized.isascii() and normalized.isdigit():
        return "totp"
    return "backup"


def hash_backup_code(code: str) -> str:
    """Hex SHA-256 of the normalised code: what is stored, so `ABCD-1234` matches `abcd1234`."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def format_backup_code(raw: str) -> str:
    """The code as shown once to the user: normalised, in dash-separated groups of four."""
    normalized = normalize_code(raw)
    groups = (
        normalized[start : start + BACKUP_CODE_GROUP]
        for start in range(0, len(normalized), BACKUP_CODE_GROUP)
    )
    return "-".join(groups)


def match_backup_code(code: str, unused_hashes: Mapping[str, T]) -> T | None:
    """The value stored under the code's hash (e.g. its row id), or None when it is not unused.

    A dictionary lookup by digest is safe against timing attacks: an attacker cannot steer the
    digest of their guess toward a stored one.
    """
    if not normalize_code(code):
        return None
    return unused_hashes.get(hash_backup_code(code))


# --- lifecycle decisions ---------------------------------------------------------------------


def begin_setup(user: User, *, secret: str, now: datetime) -> User | Refused:
    """The user holding a new pending secret, or `already_enabled`.

    Refused while MFA is on because it would replace the active secret; a repeated setup before
    enabling replaces the earlier pending secret (the user may have lost the QR code).
    """
    if user.mfa_enabled:
        return Refused("already_enabled")
    return replace(user, mfa_secret=secret, updated_at=now)


def can_enable(user: User) -> str | Refused:
    """The pending secret the submitted code must verify against, or why enabling is refused."""
    if user.mfa_enabled:
        return Refused("already_enabled")
    if user.mfa_secret is None:
        return Refused("not_set_up")
    return user.mfa_secret


def enable(user: User, *, code_ok: bool, now: datetime) -> User | Refused:
    """The user with MFA on, once the code verified against the pending secret.

    The shell then replaces any backup codes with `BACKUP_CODE_COUNT` fresh ones.
    """
    allowed = can_enable(user)
    if isinstance(allowed, Refused):
        return allowed
    if not code_ok:
        return BAD_CODE
    return replace(user, mfa_enabled=True, updated_at=now)


def can_disable(user: User) -> str | Refused:
    """The active secret a TOTP code must verify against, or why disabling is refused."""
    if not user.mfa_enabled or user.mfa_secret is None:
        return Refused("not_enabled")
    return user.mfa_secret


def disable(user: User, *, code_ok: bool, now: datetime) -> User | Refused:
    """The user with MFA off and the secret gone, once a TOTP or unused backup code verified.

    The shell deletes the user's backup codes in the same unit of work.
    """
    allowed = can_disable(user)
    if isinstance(allowed, Refused):
        return allowed
    if not code_ok:
        return BAD_CODE
    return replace(user, mfa_enabled=False, mfa_secret=None, updated_at=now)


def reset(user: User, *, now: datetime) -> User:
    """The user with MFA off and any secret (active or pending) gone: an admin's reset for a
    user who lost the device and the backup codes. Unchanged when there is nothing to reset."""
    if not user.mfa_enabled and user.mfa_secret is None:
        return user
    return replace(user, mfa_enabled=False, mfa_secret=None, updated_at=now)


def is_fresh_step(user: User, step: int) -> bool:
    """Whether a TOTP code of time step `step` may be accepted: each step is accepted at most
    once (RFC 6238 §5.2), so a step at or before the last accepted one is a replay. The shell
    also claims the step with a compare-and-set, which is what holds across replicas."""
    return user.mfa_last_step is None or step > user.mfa_last_step


def status(user: User, *, backup_codes_remaining: int) -> MfaStatus:
    """Whether MFA is on and how many unused backup codes are left (0 while it is off)."""
    return MfaStatus(
        enabled=user.mfa_enabled,
        backup_codes_remaining=backup_codes_remaining if user.mfa_enabled else 0,
    )
