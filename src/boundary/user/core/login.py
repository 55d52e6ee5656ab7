"""User core (pure): the login decision, with a time-bounded account lockout.

The shell gathers the user by email, verifies the password (argon2, a dummy hash for unknown
emails) and, when the password was right and MFA is on, the TOTP or backup code; it passes the
outcomes in as plain values. `decide_login` answers what happened and which user row to save.
Every failure looks the same to the client (one generic 401, or `mfa-required`); the reasons are
for the audit log.

Lockout rules (CONTRACT §5): consecutive failures count up; reaching the threshold locks the
account for `lockout_seconds` from that failure. While locked every attempt fails, even with the
right password, and does not extend the lock. The first failure after a lock has run out starts
counting again from one. A wrong MFA code counts like a wrong password, so guessing TOTP codes
locks the account too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from boundary.user.core.model import User

MfaCode = Literal["missing", "invalid", "valid"]
"""What the request's `mfa_code` turned out to be: not sent, wrong, or a right TOTP/backup code."""

LoginFailureReason = Literal[
    "unknown_email", "bad_password", "inactive", "deleted", "locked", "bad_mfa_code"
]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginAttempt:
    """The facts of one login attempt; `mfa` is ignored unless the password was right."""

    user: User | None
    password_ok: bool
    mfa: MfaCode = "missing"
    now: datetime
    threshold: int
    lockout_seconds: int

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError(f"lockout threshold must be at least 1, got {self.threshold}")
        if self.lockout_seconds <= 0:
            raise ValueError(f"lockout_seconds must be positive, got {self.lockout_seconds}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSucceeded:
    """Issue a session for `user` (already updated: counters reset, login recorded)."""

    user: User


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaRequired:
    """Answer 401 `mfa-required`; `user` is the row to save (None: nothing changed)."""

    user: User | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginFailed:
    """Answer the generic 401; `user` is the row to save (None: nothing changed).

    `locked_now` says this very failure locked the account (write `account_locked` as well).
    """

    user: User | None
    reason: LoginFailureReason
    locked_now: bool = False


LoginDecision = LoginSucceeded | MfaRequired | LoginFailed


def is_locked(user: User, now: datetime) -> bool:
    """Whether a lock is in force at `now` (it ends exactly at `lockout_until`)."""
    return user.lockout_until is not None and user.lockout_until > now


def decide_login(attempt: LoginAttempt) -> LoginDecision:
    """What the attempt amounts to; see the module docstring for the rules."""
    user, now = attempt.user, attempt.now
    if user is None:
        return LoginFailed(user=None, reason="unknown_email")
    if user.deleted_at is not None:
        return LoginFailed(user=None, reason="deleted")
    if not user.active:
        return LoginFailed(user=None, reason="inactive")
    if is_locked(user, now):
        return LoginFailed(user=None, reason="locked")
    if not attempt.password_ok:
        return _failure(attempt, user, "bad_password")
    if user.mfa_enabled and attempt.mfa == "missing":
        return MfaRequired(user=None)
    if user.mfa_enabled and attempt.mfa == "invalid":
        failed = _failure(attempt, user, "bad_mfa_code")
        return failed if failed.locked_now else MfaRequired(user=failed.user)
    return LoginSucceeded(user=_succeeded(user, now))


def _failure(attempt: LoginAttempt, user: User, reason: LoginFailureReason) -> LoginFailed:
    """Count one failure on an unlocked account, locking it when the threshold is reached."""
    now = attempt.now
    lock_expired = user.lockout_until is not None  # a lock still in force never gets here
    count = 1 if lock_expired else user.failed_login_count + 1
    locked_now = count >= attempt.threshold
    lockout_until = now + timedelta(seconds=attempt.lockout_seconds) if locked_now else None
    updated = replace(user, failed_login_count=count, lockout_until=lockout_until, updated_at=now)
    return LoginFailed(user=updated, reason=reason, locked_now=locked_now)


def _succeeded(user: User, now: datetime) -> User:
    return replace(
        user,
        failed_login_count=0,
        lockout_until=None,
        login_count=user.login_count + 1,
        last_login=now,
        updated_at=now,
    )


def unlock(user: User, now: datetime) -> User:
    """`user` with any lockout ended and the failed-login count cleared (an operator's
    `users unlock`); the same row when there is nothing to clear."""
    if user.failed_login_count == 0 and user.lockout_until is None:
        return user
    return replace(user, failed_login_count=0, lockout_until=None, updated_at=now)
