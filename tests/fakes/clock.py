"""Fakes of the kernel's `Clock` and `Ids` ports: a clock that moves only when told, and ids
that count up (so a failing test shows `…0001`, `…0002`, not random hex)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from tests.fakes.builders import NOW


class FixedClock:
    """`now()` is `at` until the test moves it (`at = …` or `advance(seconds=…)`)."""

    def __init__(self, at: datetime = NOW) -> None:
        if at.utcoffset() != timedelta(0):
            raise ValueError("the clock's time must be timezone-aware UTC")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)`; returns the new time."""
        self.at += timedelta(**delta)
        return self.at

    def timestamp(self) -> float:
        """`now()` as Unix time: the `clock` of adapters that count in seconds (JwtTokens)."""
        return self.at.timestamp()


class SequentialIds:
    """UUIDs 00000000-0000-4000-8000-000000000001, …02, …: distinct, version 4 in form."""

    def __init__(self) -> None:
        self.issued = 0

    def new_id(self) -> UUID:
        self.issued += 1
        return UUID(int=(0x4 << 76) | (0x8 << 60) | self.issued)
