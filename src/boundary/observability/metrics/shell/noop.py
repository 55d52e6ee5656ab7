"""A metrics adapter that records nothing (`metrics.providers = ["none"]`)."""

from __future__ import annotations

from boundary.observability.metrics.ports import Tags


class NoopMetrics:
    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None:
        return None

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None:
        return None

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None:
        return None
