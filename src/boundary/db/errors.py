"""Database failures the rest of the system reacts to (HTTP 503, readiness, logs)."""

from __future__ import annotations

from typing import Literal

Reason = Literal["pool_exhausted", "unreachable"]


class DatabaseUnavailable(Exception):
    """No connection could be had: the pool stayed exhausted past its timeout, or the
    database could not be reached. Answered as a 503 problem, never a hang."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"database {reason.replace('_', ' ')}{': ' + detail if detail else ''}")
        self.reason: Reason = reason
