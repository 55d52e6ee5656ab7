"""Several metrics adapters behind one `Metrics` (shell): DogStatsD and Prometheus at once.

Each call goes to every adapter; one raising (they should not, but a bug might) is logged at
debug and the others still record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from boundary.observability.logging import get_logger
from boundary.observability.metrics.ports import Metrics, Tags


class FanoutMetrics:
    """Forward every metric to each of `adapters`, isolating their failures."""

    def __init__(self, adapters: Sequence[Metrics]) -> None:
        self.adapters = tuple(adapters)
        self._log = get_logger("boundary.metrics")

    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None:
        self._each(name, lambda adapter: adapter.increment(name, value, tags))

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None:
        self._each(name, lambda adapter: adapter.timing(name, milliseconds, tags))

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None:
        self._each(name, lambda adapter: adapter.gauge(name, value, tags))

    def _each(self, name: str, call: Callable[[Metrics], None]) -> None:
        for adapter in self.adapters:
            try:
                call(adapter)
            except Exception as exc:
                self._log.debug(
                    "Metric not recorded",
                    metric=name,
                    adapter=type(adapter).__name__,
                    **{"error.kind": type(exc).__name__, "error.message": str(exc)},
                )
