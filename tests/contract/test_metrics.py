"""Contract of the `Metrics` port, run alike against the fake (tests/fakes/observability.py)
and every adapter — none, Prometheus, DogStatsD (to a UDP port nothing reads): a metric is
fire-and-forget, whatever its name, value or tags, and never raises into the caller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from boundary.observability.metrics.ports import Metrics
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.observability.metrics.shell.prometheus import PrometheusMetrics
from boundary.observability.metrics.shell.statsd import StatsdMetrics
from tests.fakes.observability import RecordingMetrics


@pytest.fixture(params=["fake", "none", "prometheus", "statsd"])
def metrics(request: pytest.FixtureRequest) -> Iterator[Metrics]:
    if request.param == "fake":
        yield RecordingMetrics()
    elif request.param == "none":
        yield NoopMetrics()
    elif request.param == "prometheus":
        yield PrometheusMetrics(CollectorRegistry())
    else:
        statsd = StatsdMetrics(host="127.0.0.1", port=9, constant_tags={"env": "test"})
        yield statsd
        statsd.close(timeout=1.0)


CALLS = [
    ("increment", "http.requests.count", 1, {"path": "/", "method": "GET", "status": "200"}),
    ("increment", "auth.login.count", 2.5, None),
    ("timing", "http.request.duration", 12.5, {"path": "/", "method": "GET"}),
    ("timing", "database.query.duration", 0, {}),
    ("gauge", "database.connection.pool.active", -1, None),
    ("gauge", "http.requests.count", 3, None),  # a name already used as another kind
    ("increment", "bad name with spaces!", 1, {"odd key": "välue|#,:"}),
    ("timing", "", float("nan"), {"": ""}),
]


@pytest.mark.parametrize(("kind", "name", "value", "tags"), CALLS)
def test_any_metric_is_accepted_and_nothing_is_raised(
    metrics: Metrics, kind: str, name: str, value: float, tags: dict[str, str] | None
) -> None:
    assert getattr(metrics, kind)(name, value, tags=tags) is None
