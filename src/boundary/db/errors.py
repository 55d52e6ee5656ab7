"""Database failures the rest of the system reacts to (HTTP 503, readiness, logs)."""

from __future__ import annotations

from typing import Literal

Reason = Literal["pool_exhausted", "unreachable"]


def driver_reason(exc: BaseException, password: str | None = None) -> str:
    """What the driver said, as one line: the exception behind SQLAlchemy's wrapper (so
    "password authentication failed for user …" rather than "DBAPIError"), with `password`
    masked should a driver ever echo it."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    if password:
        text = text.replace(password, "***")
    name = type(orig).__name__
    return f"{name}: {text}" if text and text != name else name


class DatabaseUnavailable(Exception):
    """No connection could be had: the pool stayed exhausted past its timeout, or the
    database could not be reached. Answered as a 503 problem, never a hang."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"database {reason.replace('_', ' ')}{': ' + detail if detail else ''}")
        self.reason: Reason = reason
