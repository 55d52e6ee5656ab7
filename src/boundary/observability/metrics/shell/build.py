"""Build the metrics adapters the configuration asks for (shell, called by `build_system`).

`metrics.providers` lists `datadog-statsd`, `prometheus` or `none`; two providers give a
`FanoutMetrics`, none a `NoopMetrics`. The bundle carries the `/metrics` page (Prometheus only)
and `close`, which the composition root runs at shutdown (flushes pending DogStatsD lines).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from boundary import __version__
from boundary.config.model import Settings
from boundary.observability.metrics.ports import Metrics
from boundary.observability.metrics.shell.fanout import FanoutMetrics
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.observability.metrics.shell.prometheus import (
    PrometheusMetrics,
    build_registry,
    multiprocess_directory,
)

if TYPE_CHECKING:
    from boundary.observability.metrics.shell.statsd import StatsdMetrics


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsBundle:
    """What the composition root needs: the port, the `/metrics` page (or None), `close`."""

    metrics: Metrics
    exposition: Callable[[], tuple[bytes, str]] | None = None
    close: Callable[[], None] = _nothing


def build_metrics(settings: Settings) -> MetricsBundle:
    """The adapters of `settings.metrics.providers`, fanned out when there are several."""
    providers = set(settings.metrics.providers) - {"none"}
    adapters: list[Metrics] = []
    closers: list[Callable[[], None]] = []
    exposition = None
    if "prometheus" in providers:
        # In multiprocess mode the page aggregates the workers' files; the per-process
        # collectors (CPU, memory of this one process) would be misleading there.
        registry = None if multiprocess_directory() else build_registry()
        prometheus = PrometheusMetrics(registry)
        adapters.append(prometheus)
        exposition = prometheus.exposition
    if "datadog-statsd" in providers:
        statsd = _statsd(settings)
        adapters.append(statsd)
        closers.append(statsd.close)
    return MetricsBundle(
        metrics=_combine(adapters), exposition=exposition, close=_close_all(closers)
    )


def _statsd(settings: Settings) -> StatsdMetrics:
    # Imported only when DogStatsD is configured: the client is 6 MiB of a worker's memory.
    from boundary.observability.metrics.shell.statsd import StatsdMetrics, constant_tags

    config = settings.metrics
    tags = constant_tags(
        service=config.service,
        environment=config.environment or settings.environment,
        version=__version__,
    )
    return StatsdMetrics(host=config.statsd_host, port=config.statsd_port, constant_tags=tags)


def _combine(adapters: list[Metrics]) -> Metrics:
    if not adapters:
        return NoopMetrics()
    return adapters[0] if len(adapters) == 1 else FanoutMetrics(adapters)


def _close_all(closers: list[Callable[[], None]]) -> Callable[[], None]:
    def close() -> None:
        for closer in closers:
            closer()  # each adapter's close already swallows its own errors

    return close
