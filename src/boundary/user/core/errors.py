"""User core (pure): the user module's refusals — the kernel's kinds, plus the two answers a
login can get. The HTTP edge renders each (`boundary.http.errors`); services only raise."""

from __future__ import annotations

from boundary.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "Conflict",
    "DomainError",
    "EmailNotVerified",
    "Forbidden",
    "Invalid",
    "LoginRefused",
    "MfaCodeRequired",
    "NotFound",
    "TooManyAttempts",
    "Unauthenticated",
    "Unavailable",
    "UserNotFound",
]


class LoginRefused(Unauthenticated):
    """The one generic refusal of a login, whatever the cause (unknown email, wrong password,
    inactive, deleted or locked account): a client can never tell them apart."""

    def __init__(self) -> None:
        super().__init__("login_refused")


class MfaCodeRequired(Unauthenticated):
    """Right password, MFA on, and the code missing or wrong."""

    def __init__(self) -> None:
        super().__init__("mfa_code_required")


class UserNotFound(NotFound):
    """No live user with that id (soft-deleted users are not found either)."""

    def __init__(self) -> None:
        super().__init__("No such user.")


class EmailNotVerified(Forbidden):
    """Right credentials, but `security.require_verified_email` is on and the address is not
    verified yet (403, problem type ending `email-not-verified`)."""

    def __init__(self) -> None:
        super().__init__("Verify your email address before signing in.")
