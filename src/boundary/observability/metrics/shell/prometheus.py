"""Prometheus metrics adapter (shell): the `Metrics` port on prometheus-client.

Dotted names become underscored (`http.requests.count` → `http_requests_count_total`, the
client adding `_total` to counters); timings are Histograms **in milliseconds** with
`core.DURATION_BUCKETS_MS`; tags become labels, with one fixed label set per name (declared in
`core.SPECS`; other names take the tag keys of their first use).

Multiprocess (`boundary serve --workers N`): the serve command calls `prepare_multiprocess(dir)`
in the parent before any worker starts, which sets `PROMETHEUS_MULTIPROC_DIR`. prometheus-client
reads that variable once, when a process first imports it; the workers are spawned (fresh
interpreters) afterwards, so each writes its values to files in that directory, and
`exposition()` aggregates all of them with a `MultiProcessCollector`; gauges use the
`aggregation` of their spec (`livesum` for pool gauges, `livemax` for sessions). The parent
records nothing itself. `reset_multiprocess()` undoes the variable in tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from boundary.observability.logging import get_logger
from boundary.observability.metrics import core
from boundary.observability.metrics.ports import Tags

# The client's default adds a `<name>_created` sample (a Unix time) beside every counter and
# histogram of a single process, which multiprocess mode never has: one shape in both modes.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"

# prometheus-client's multiprocess helpers carry no type hints.
_multiprocess: Any = multiprocess


def build_registry() -> CollectorRegistry:
    """A fresh registry with process and platform metrics (never the client's global one)."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def prepare_multiprocess(directory: str | os.PathLike[str]) -> None:
    """Make the worker processes started from now on share their values through `directory`.

    Creates `directory` (emptying what a previous run left) and sets `PROMETHEUS_MULTIPROC_DIR`,
    which a spawned worker inherits before it first imports prometheus-client: the public way
    to choose the mode. This process keeps the mode it imported the client with; it reads the
    directory (`exposition`) and tidies it (`worker_exited`), and records nothing itself.
    """
    path = Path(directory)
    if path.exists():
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)


def reset_multiprocess(*, remove_directory: bool = False) -> None:
    """Unset the directory again (tests); optionally delete its files."""
    directory = os.environ.pop(MULTIPROC_ENV, None)
    if remove_directory and directory:
        shutil.rmtree(directory, ignore_errors=True)


def multiprocess_directory() -> str | None:
    """The multiprocess directory in effect, or None in single-process mode."""
    return os.environ.get(MULTIPROC_ENV) or None


def worker_exited(pid: int) -> None:
    """Forget a dead worker's `live*` gauges (call from the parent when a worker exits)."""
    directory = multiprocess_directory()
    if directory is not None:
        with contextlib.suppress(OSError):
            _multiprocess.mark_process_dead(pid, directory)


class PrometheusMetrics:
    """The `Metrics` port on prometheus-client; never raises into the caller."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        specs: Iterable[core.MetricSpec] = core.SPECS,
        buckets: tuple[float, ...] = core.DURATION_BUCKETS_MS,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self._buckets = buckets
        self._lock = threading.Lock()
        self._metrics: dict[tuple[str, str], tuple[core.MetricSpec, Any]] = {}
        self._children: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}
        self._log = get_logger("boundary.metrics")
        for spec in specs:
            if spec.declare:
                self._create(spec)

    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None:
        child = self._child(name, "counter", tags)
        if child is not None:
            self._apply(name, child.inc, value)

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None:
        child = self._child(name, "timing", tags)
        if child is not None:
            self._apply(name, child.observe, milliseconds)

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None:
        child = self._child(name, "gauge", tags)
        if child is not None:
            self._apply(name, child.set, value)

    def exposition(self) -> tuple[bytes, str]:
        """The `/metrics` page: every process's values in multiprocess mode, else this one's."""
        directory = multiprocess_directory()
        if directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        aggregate = CollectorRegistry()
        _multiprocess.MultiProcessCollector(aggregate, path=directory)
        return generate_latest(aggregate), CONTENT_TYPE_LATEST

    def _child(self, name: str, kind: core.Kind, tags: Tags | None) -> Any:
        """The labelled child for these tags, found once and then kept: per request the
        label lookup was most of a metric's cost. None (logged at debug) when it cannot be
        made: a metric must never fail a request."""
        key = (name, kind, tuple(tags.items()) if tags else ())
        child = self._children.get(key)
        if child is not None:
            return child
        try:
            spec, metric = self._metric(name, kind, tags)
            child = metric.labels(*core.label_values(spec.labels, tags)) if spec.labels else metric
        except Exception as exc:
            self._not_recorded(name, exc)
            return None
        self._children[key] = child
        return child

    def _apply(self, name: str, update: Callable[[float], None], value: float) -> None:
        try:
            update(value)
        except Exception as exc:  # a metric must never fail a request
            self._not_recorded(name, exc)

    def _not_recorded(self, name: str, exc: Exception) -> None:
        self._log.debug(
            "Metric not recorded",
            metric=name,
            **{"error.kind": type(exc).__name__, "error.message": str(exc)},
        )

    def _metric(self, name: str, kind: core.Kind, tags: Tags | None) -> tuple[core.MetricSpec, Any]:
        found = self._metrics.get((name, kind))
        if found is not None:
            return found
        with self._lock:
            found = self._metrics.get((name, kind))
            return found or self._create(core.spec_for(name, kind, tags))

    def _create(self, spec: core.MetricSpec) -> tuple[core.MetricSpec, Any]:
        metric_name = core.prometheus_name(spec.name)
        labels = [core.prometheus_label(label) for label in spec.labels]
        documentation = spec.description or spec.name
        metric: Any
        if spec.kind == "counter":
            metric = Counter(metric_name, documentation, labels, registry=self.registry)
        elif spec.kind == "timing":
            metric = Histogram(
                metric_name, documentation, labels, registry=self.registry, buckets=self._buckets
            )
        else:
            metric = Gauge(
                metric_name,
                documentation,
                labels,
                registry=self.registry,
                multiprocess_mode=spec.aggregation,
            )
        entry = (spec, metric)
        self._metrics[(spec.name, spec.kind)] = entry
        return entry
