"""Metric names, kinds and labels (functional core: stdlib only, plain data).

The catalogue of §9 metrics lives here once, so every adapter (Prometheus, DogStatsD) and the
alerting rules in `deploy/monitoring/` agree on names and tag keys. Names are the guide's dotted
names; Prometheus gets them with dots turned into underscores (`prometheus_name`), and its
client adds `_total` to counters and `_bucket`/`_sum`/`_count` to histograms.

Timings are recorded in **milliseconds** everywhere (DogStatsD distributions and Prometheus
histograms alike), so a threshold reads the same in both systems: the guide's targets are
p50 < 100 ms, p95 < 500 ms, p99 < 1 s, and `DURATION_BUCKETS_MS` has an edge at each of them
(and at 5 s, the slow-query alert).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["counter", "timing", "gauge"]
GaugeAggregation = Literal["livesum", "livemax", "livemin", "liveall", "mostrecent"]

DURATION_BUCKETS_MS: Final = (
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
)
"""Histogram upper bounds in ms (Prometheus adds `+Inf`)."""

UNMATCHED_PATH: Final = "<unmatched>"
"""The one `path` label of every request that matched no route (bounded cardinality)."""

_INVALID_NAME_CHARACTERS: Final = re.compile(r"[^a-zA-Z0-9_:]")
_INVALID_LABEL_CHARACTERS: Final = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSpec:
    """One metric: its dotted name, kind, tag keys and (gauges) how workers combine.

    `aggregation` is the Prometheus multiprocess mode of a gauge: `livesum` adds the live
    workers' values (each worker has its own pool), `livemax` takes the largest (every worker
    reports the same system-wide count), `livemin` the smallest (one failing worker shows).
    """

    name: str
    kind: Kind
    labels: tuple[str, ...] = ()
    description: str = ""
    aggregation: GaugeAggregation = "livesum"
    declare: bool = True
    """Whether Prometheus shows it before first use (a label-less gauge then reads 0)."""


SPECS: Final[tuple[MetricSpec, ...]] = (
    MetricSpec(
        name="http.requests.count",
        kind="counter",
        labels=("path", "method", "status"),
        description="HTTP requests answered, by route template, method and status.",
    ),
    MetricSpec(
        name="http.request.duration",
        kind="timing",
        labels=("path", "method"),
        description="HTTP request duration in milliseconds, by route template and method.",
    ),
    MetricSpec(
        name="database.query.count",
        kind="counter",
        labels=("operation",),
        description="Database statements executed, by operation.",
    ),
    MetricSpec(
        name="database.query.duration",
        kind="timing",
        labels=("operation",),
        description="Database statement duration in milliseconds, by operation.",
    ),
    MetricSpec(
        name="database.connection.pool.active",
        kind="gauge",
        description="Pooled database connections checked out (summed over workers).",
    ),
    MetricSpec(
        name="database.connection.pool.idle",
        kind="gauge",
        description="Pooled database connections idle in the pool (summed over workers).",
    ),
    MetricSpec(
        name="database.connection.pool.size",
        kind="gauge",
        description="Configured database pool size (summed over workers).",
    ),
    MetricSpec(
        name="application.users.created.count",
        kind="counter",
        labels=("role",),
        description="Users created, by role.",
    ),
    MetricSpec(
        name="application.sessions.active",
        kind="gauge",
        description="Live (unexpired, unrevoked) sessions in the database.",
        aggregation="livemax",
    ),
    MetricSpec(
        name="application.errors.count",
        kind="counter",
        labels=("type",),
        description="Application errors, by type (http_5xx, …).",
    ),
    MetricSpec(
        name="application.health.ready",
        kind="gauge",
        description="1 while every critical health check passes, else 0 (minimum over workers).",
        aggregation="livemin",
        declare=False,  # a 0 before the first health sample would be a false alarm
    ),
    MetricSpec(
        name="application.health.check",
        kind="gauge",
        labels=("check",),
        description="1 while the named health check passes, else 0 (minimum over workers).",
        aggregation="livemin",
    ),
    MetricSpec(
        name="auth.login.count",
        kind="counter",
        labels=("result",),
        description="Login attempts, by result (success, failure, mfa_required).",
    ),
    MetricSpec(
        name="rate_limit.exceeded.count",
        kind="counter",
        labels=("limit",),
        description="Requests refused by a rate limit, by limit.",
    ),
    MetricSpec(
        name="mail.sent.count",
        kind="counter",
        labels=("kind",),
        description="Mails delivered to the SMTP server (or the log), by kind.",
    ),
    MetricSpec(
        name="mail.failed.count",
        kind="counter",
        labels=("kind", "final"),
        description="Failed mail delivery attempts, by kind; final=true when it was given up.",
    ),
    MetricSpec(
        name="mail.outbox.pending",
        kind="gauge",
        description="Mails queued and not yet delivered (the outbox depth; max over workers).",
        aggregation="livemax",
        declare=False,
    ),
    MetricSpec(
        name="mail.outbox.failed",
        kind="gauge",
        description="Mails given up and kept for `boundary mail retry` (max over workers).",
        aggregation="livemax",
        declare=False,
    ),
)
"""Every metric Boundary emits (declared up front in Prometheus; others are created lazily)."""

SPECS_BY_NAME: Final[Mapping[str, MetricSpec]] = {spec.name: spec for spec in SPECS}


def prometheus_name(name: str) -> str:
    """`http.requests.count` → `http_requests_count` (anything not `[a-zA-Z0-9_:]` → `_`)."""
    converted = _INVALID_NAME_CHARACTERS.sub("_", name)
    return "_" + converted if converted[:1].isdigit() else converted


def prometheus_label(key: str) -> str:
    """A tag key as a Prometheus label name (`client-ip` → `client_ip`)."""
    converted = _INVALID_LABEL_CHARACTERS.sub("_", key)
    return "_" + converted if converted[:1].isdigit() or converted.startswith("__") else converted


def label_values(labels: tuple[str, ...], tags: Mapping[str, str] | None) -> tuple[str, ...]:
    """The values for `labels` from `tags`, in order: a missing tag is `""`, extra tags are
    dropped (a metric's label set is fixed at its first use)."""
    if not labels:
        return ()
    given = tags or {}
    return tuple(str(given.get(label, "")) for label in labels)


def spec_for(name: str, kind: Kind, tags: Mapping[str, str] | None) -> MetricSpec:
    """The declared spec of `name`, or one made from its first use (tag keys sorted)."""
    declared = SPECS_BY_NAME.get(name)
    if declared is not None and declared.kind == kind:
        return declared
    return MetricSpec(name=name, kind=kind, labels=tuple(sorted(tags or ())))


def statsd_tags(tags: Mapping[str, str] | None) -> list[str] | None:
    """DogStatsD `key:value` tags (§13), or None when there are none."""
    if not tags:
        return None
    return [f"{key}:{value}" for key, value in tags.items()]
