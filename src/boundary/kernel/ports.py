"""The kernel's ports (pure): services get `now` and new ids from these, never directly.

Adapters: `boundary.world` (the real clock and randomness) and fixed ones in tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class Ids(Protocol):
    def new_id(self) -> UUID:
        """A new random UUID."""
