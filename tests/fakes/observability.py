"""Fakes of the observability ports: a recording `Metrics` and a recording `ErrorReporter`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from boundary.observability.metrics.ports import Tags


@dataclass
class RecordingMetrics:
    """Keeps (kind, name, value, tags) of every call."""

    calls: list[tuple[str, str, float, dict[str, str]]] = field(default_factory=list)

    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None:
        self.calls.append(("increment", name, value, dict(tags or {})))

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None:
        self.calls.append(("timing", name, milliseconds, dict(tags or {})))

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None:
        self.calls.append(("gauge", name, value, dict(tags or {})))

    def named(self, name: str) -> list[tuple[str, str, float, dict[str, str]]]:
        return [call for call in self.calls if call[1] == name]

    def increments(self) -> list[tuple[str, dict[str, str]]]:
        """(name, tags) of every increment, in order."""
        return [(name, tags) for kind, name, _, tags in self.calls if kind == "increment"]

    def counted(self, name: str, **tags: str) -> float:
        """The sum of increments of `name` whose tags are exactly `tags`."""
        return sum(c[2] for c in self.calls if c[:2] == ("increment", name) and c[3] == tags)


@dataclass
class RecordingReporter:
    """Keeps what was captured: ("exception", exc, tags) and ("message", text, level, tags)."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    flushed: int = 0

    def capture_exception(
        self, exc: BaseException, *, tags: Mapping[str, str] | None = None
    ) -> None:
        self.events.append(("exception", exc, dict(tags or {})))

    def capture_message(
        self, message: str, *, level: str = "info", tags: Mapping[str, str] | None = None
    ) -> None:
        self.events.append(("message", message, level, dict(tags or {})))

    def flush(self, timeout: float = 2.0) -> None:
        self.flushed += 1
