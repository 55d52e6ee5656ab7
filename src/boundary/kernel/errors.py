"""Kernel (pure): the refusals services raise, as plain exceptions that know nothing of HTTP.

A service says *what* went wrong — the user does not exist, the input is invalid, the caller
may not do this, too many attempts — and the HTTP edge alone decides how that looks on the
wire (`boundary.http.errors` maps each kind to its problem document and status). The CLI and
the admin console map the same errors to exit codes and form messages.
"""

from __future__ import annotations

from collections.abc import Iterable

from boundary.kernel.problems import FieldError


class DomainError(Exception):
    """A request refused for a reason of the caller's, never a fault of the service."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail


class NotFound(DomainError):
    """No such thing — or one the caller must not learn exists (soft-deleted users)."""


class Conflict(DomainError):
    """The request contradicts the current state (a taken email, the last admin)."""


class Invalid(DomainError):
    """Well-formed but invalid input: `errors` names each field and why."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field} {e.message}" for e in self.errors) or None)


class Unauthenticated(DomainError):
    """No valid credentials; `reason` is for logs and metrics, never for the client."""

    def __init__(self, reason: str = "unauthenticated") -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class TooManyAttempts(DomainError):
    """Refused until `retry_after` seconds have passed; `headers` are the limit's own
    (`Retry-After`, `RateLimit-*`), computed by whoever counted."""

    def __init__(self, retry_after: int, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(f"retry in {retry_after} seconds")
        self.retry_after = retry_after
        self.headers = tuple(headers)


class Unavailable(DomainError):
    """A dependency the request needs is not configured or not reachable; `kind` names it
    (`mail`) so the edge can say which."""

    def __init__(self, kind: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
