"""Health as gauges (shell helper): what the alerting rules watch for "health failing" and
"database unreachable". The composition root appends `sample_health` to the monitor's samplers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from boundary.observability.metrics.ports import Metrics


class CheckOutcome(Protocol):
    """The fields of `ops.core.CheckResult` read here."""

    @property
    def name(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def critical(self) -> bool: ...


def sample_health(metrics: Metrics, results: Iterable[CheckOutcome]) -> None:
    """`application.health.check{check}` 1/0 per check, `application.health.ready` 1/0."""
    ready = True
    for result in results:
        metrics.gauge("application.health.check", 1 if result.ok else 0, {"check": result.name})
        ready = ready and (result.ok or not result.critical)
    metrics.gauge("application.health.ready", 1 if ready else 0)
