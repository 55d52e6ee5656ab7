"""Metrics adapters in process: Prometheus text and the fan-out. The DogStatsD (UDP) and
multiprocess tests are in tests/integration/test_metrics_adapters.py."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from boundary.observability.metrics import core
from boundary.observability.metrics.ports import Tags
from boundary.observability.metrics.shell.fanout import FanoutMetrics
from boundary.observability.metrics.shell.health import sample_health
from boundary.observability.metrics.shell.prometheus import PrometheusMetrics

USER_ROUTE = "/api/v1/users/{id}"


def record_sample(metrics: PrometheusMetrics) -> None:
    metrics.increment(
        "http.requests.count", tags={"path": USER_ROUTE, "method": "GET", "status": "200"}
    )
    metrics.timing("http.request.duration", 42.0, tags={"path": USER_ROUTE, "method": "GET"})
    metrics.increment("auth.login.count", tags={"result": "failure"})
    metrics.gauge("database.connection.pool.active", 4)


def page_of(metrics: PrometheusMetrics) -> str:
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    return body.decode()


def test_prometheus_page_has_underscored_names_and_labels() -> None:
    """Counters get `_total`; timings are ms histograms with the guide's bucket edges."""
    metrics = PrometheusMetrics(CollectorRegistry())
    record_sample(metrics)
    page = page_of(metrics)
    labels = f'method="GET",path="{USER_ROUTE}"'
    assert f'http_requests_count_total{{{labels},status="200"}} 1.0' in page
    assert f'http_request_duration_bucket{{le="25.0",{labels}}} 0.0' in page
    assert f'http_request_duration_bucket{{le="50.0",{labels}}} 1.0' in page
    assert f'http_request_duration_bucket{{le="5000.0",{labels}}} 1.0' in page
    assert f"http_request_duration_sum{{{labels}}} 42.0" in page
    assert 'auth_login_count_total{result="failure"} 1.0' in page
    assert "database_connection_pool_active 4.0" in page


def test_prometheus_declares_the_contract_metrics_up_front() -> None:
    """Every §9 name is on the page before anything is recorded (alerts can rely on it)."""
    page = page_of(PrometheusMetrics(CollectorRegistry()))
    for spec in core.SPECS:
        if spec.declare:
            assert f"# HELP {core.prometheus_name(spec.name)}" in page


def test_prometheus_creates_unknown_metrics_from_their_first_tags() -> None:
    """Later uses keep the first label set: missing tags are empty, extra tags dropped."""
    metrics = PrometheusMetrics(CollectorRegistry())
    metrics.increment("jobs.done.count", tags={"queue": "mail", "kind": "welcome"})
    metrics.increment("jobs.done.count", tags={"queue": "mail", "other": "x"})
    metrics.timing("jobs.run-time", 3)
    page = page_of(metrics)
    assert 'jobs_done_count_total{kind="welcome",queue="mail"} 1.0' in page
    assert 'jobs_done_count_total{kind="",queue="mail"} 1.0' in page
    assert "jobs_run_time_count 1.0" in page


def test_prometheus_never_raises_into_the_caller() -> None:
    """A name used as two kinds cannot be registered twice; the second use is dropped."""
    metrics = PrometheusMetrics(CollectorRegistry())
    metrics.gauge("http.requests.count", 1)
    metrics.increment("bad name with spaces!")
    metrics.increment("http.requests.count", tags={"path": "/", "method": "GET", "status": "200"})
    assert 'http_requests_count_total{method="GET",path="/",status="200"} 1.0' in page_of(metrics)


class Exploding:
    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None:
        raise RuntimeError("down")

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None:
        raise RuntimeError("down")

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None:
        raise RuntimeError("down")


def test_fanout_isolates_a_failing_adapter() -> None:
    prometheus = PrometheusMetrics(CollectorRegistry())
    fanout = FanoutMetrics([Exploding(), prometheus, Exploding()])
    record_sample(fanout)  # type: ignore[arg-type]
    assert 'auth_login_count_total{result="failure"} 1.0' in page_of(prometheus)


def test_sample_health_publishes_checks_and_readiness() -> None:
    class Result:
        def __init__(self, name: str, ok: bool, critical: bool) -> None:
            self.name, self.ok, self.critical = name, ok, critical

    metrics = PrometheusMetrics(CollectorRegistry())
    sample_health(metrics, [Result("database", False, True), Result("redis", False, False)])
    page = page_of(metrics)
    assert 'application_health_check{check="database"} 0.0' in page
    assert "application_health_ready 0.0" in page
    sample_health(metrics, [Result("database", True, True), Result("redis", False, False)])
    assert "application_health_ready 1.0" in page_of(metrics)
