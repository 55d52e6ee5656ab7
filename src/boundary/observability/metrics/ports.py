"""The metrics port: what the system needs to record a metric, whatever the backend.

Implementations must never block or raise into the caller: a metric is fire-and-forget.
Names are the guide's dotted names (`database.query.count`); tags are `key: value` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

Tags = Mapping[str, str]


class Metrics(Protocol):
    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None: ...

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None: ...

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None: ...
