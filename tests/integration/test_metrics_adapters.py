"""Metrics adapters that need the world: DogStatsD datagrams on a real UDP socket, the
providers' build (it opens a StatsD client) and Prometheus's multiprocess mode across spawned
worker processes. The in-process Prometheus and fan-out tests are in tests/unit."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from boundary.config.model import Settings
from boundary.observability.metrics.shell.build import build_metrics
from boundary.observability.metrics.shell.fanout import FanoutMetrics
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.observability.metrics.shell.prometheus import (
    PrometheusMetrics,
    multiprocess_directory,
    prepare_multiprocess,
    reset_multiprocess,
    worker_exited,
)
from boundary.observability.metrics.shell.statsd import StatsdMetrics

USER_ROUTE = "/api/v1/users/{id}"
CONSTANT = {"service": "boundary-api", "env": "test", "version": "1.0.0"}


@pytest.fixture
def udp_listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(3.0)
    yield sock
    sock.close()


def free_udp_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def receive_lines(sock: socket.socket, expected: int) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + 3.0
    while len(lines) < expected and time.monotonic() < deadline:
        data = sock.recv(65535).decode()
        lines.extend(line for line in data.split("\n") if line)
    return lines


def parse(line: str) -> tuple[str, str, str, set[str]]:
    """(name, value, type, tags) of one DogStatsD line."""
    head, kind, *rest = line.split("|")
    name, value = head.split(":", 1)
    tags = next((field[1:] for field in rest if field.startswith("#")), "")
    return name, value, kind, set(tags.split(",")) if tags else set()


def test_statsd_sends_datagrams_with_exact_names_and_key_value_tags(
    udp_listener: socket.socket,
) -> None:
    """Counters are `|c`, timings ms distributions `|d`, gauges `|g`; tags `key:value` plus
    the constant service/env/version tags."""
    port = udp_listener.getsockname()[1]
    metrics = StatsdMetrics(host="127.0.0.1", port=port, constant_tags=CONSTANT)
    try:
        metrics.increment(
            "http.requests.count", tags={"path": USER_ROUTE, "method": "GET", "status": "200"}
        )
        metrics.timing("http.request.duration", 12.5, tags={"path": USER_ROUTE, "method": "GET"})
        metrics.gauge("database.connection.pool.active", 3)
        metrics.flush()
        lines = receive_lines(udp_listener, 3)
    finally:
        metrics.close()
    constant = {"service:boundary-api", "env:test", "version:1.0.0"}
    assert sorted(parse(line) for line in lines) == sorted(
        [
            (
                "http.requests.count",
                "1",
                "c",
                {f"path:{USER_ROUTE}", "method:GET", "status:200"} | constant,
            ),
            ("http.request.duration", "12.5", "d", {f"path:{USER_ROUTE}", "method:GET"} | constant),
            ("database.connection.pool.active", "3", "g", constant),
        ],
        key=repr,
    )


def test_statsd_tags_keep_their_characters_but_cannot_break_the_datagram(
    udp_listener: socket.socket,
) -> None:
    """Pins the override of the client's private `DogStatsd._serialize_metric` (datadog is
    pinned in constraints.txt): the client's own normalisation would turn `{id}` into `_id_`;
    ours keeps every character except `|`, `,` and newlines, which would end the field."""
    port = udp_listener.getsockname()[1]
    metrics = StatsdMetrics(host="127.0.0.1", port=port, constant_tags=CONSTANT)
    try:
        metrics.increment("jobs.done.count", tags={"path": "/a/{id}?x=1", "note": "a|b,c\nd"})
        metrics.flush()
        (line,) = receive_lines(udp_listener, 1)
    finally:
        metrics.close()
    assert line == (
        "jobs.done.count:1|c|#path:/a/{id}?x=1,note:a_b_c_d,"
        "service:boundary-api,env:test,version:1.0.0"
    )


def test_statsd_with_nothing_listening_neither_raises_nor_blocks() -> None:
    """Thousands of metrics to a closed port, then flush and close: no exception, and the
    caller is never stuck (the 30 s join only catches a hang; speed is bench/'s business)."""
    metrics = StatsdMetrics(host="127.0.0.1", port=free_udp_port(), constant_tags=CONSTANT)
    failures: list[BaseException] = []

    def send() -> None:
        try:
            for index in range(2000):
                metrics.increment("auth.login.count", tags={"result": "failure"})
                metrics.timing("database.query.duration", index, tags={"operation": "select"})
            metrics.flush()
            metrics.close(timeout=1.0)
        except BaseException as exc:
            failures.append(exc)

    caller = threading.Thread(target=send, daemon=True)
    caller.start()
    caller.join(30)
    assert not caller.is_alive(), "sending to a closed port hung"
    assert failures == []


def test_statsd_with_an_unresolvable_host_does_not_raise() -> None:
    metrics = StatsdMetrics(host="no-such-host.invalid", port=8125)
    metrics.increment("http.requests.count", tags={"path": "/", "method": "GET", "status": "200"})
    metrics.flush()
    metrics.close(timeout=0.5)


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


def settings_with(**metrics: Any) -> Settings:
    return Settings.model_validate({"environment": "test", "metrics": metrics})


def test_build_metrics_follows_the_providers() -> None:
    assert isinstance(build_metrics(settings_with(providers=["none"])).metrics, NoopMetrics)
    only_prometheus = build_metrics(settings_with(providers=["prometheus"]))
    assert isinstance(only_prometheus.metrics, PrometheusMetrics)
    assert only_prometheus.exposition is not None
    both = build_metrics(
        settings_with(providers=["prometheus", "datadog-statsd"], statsd_port=free_udp_port())
    )
    assert isinstance(both.metrics, FanoutMetrics)
    assert both.exposition is not None
    both.metrics.increment("auth.login.count", tags={"result": "success"})
    assert b'auth_login_count_total{result="success"} 1.0' in both.exposition()[0]
    both.close()
    statsd_only = build_metrics(settings_with(providers=["datadog-statsd"], statsd_port=9))
    assert statsd_only.exposition is None
    statsd_only.close()


def write_in_worker(pool_active: int) -> None:
    """Runs in a spawned process, as a `serve --workers N` worker would."""
    metrics = PrometheusMetrics()
    record_sample(metrics)
    metrics.gauge("database.connection.pool.active", pool_active)
    metrics.gauge("application.sessions.active", 7)


@pytest.fixture
def multiprocess_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"stale")
    prepare_multiprocess(directory)
    yield directory
    reset_multiprocess()


def test_multiprocess_mode_aggregates_every_worker(multiprocess_dir: Path) -> None:
    """Two worker processes write; any process's page shows the sum (counters, histograms,
    pool gauges), the maximum (sessions), and forgets a dead worker's live gauges."""
    assert multiprocess_directory() == str(multiprocess_dir)
    assert not (multiprocess_dir / "counter_999999.db").exists()  # stale files cleaned
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_in_worker, args=(n,)) for n in (3, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    page = page_of(PrometheusMetrics(CollectorRegistry()))
    assert f'http_requests_count_total{{method="GET",path="{USER_ROUTE}",status="200"}} 2.0' in page
    assert f'http_request_duration_count{{method="GET",path="{USER_ROUTE}"}} 2.0' in page
    assert 'auth_login_count_total{result="failure"} 2.0' in page
    assert "database_connection_pool_active 8.0" in page
    assert "application_sessions_active 7.0" in page
    assert workers[0].pid is not None
    worker_exited(workers[0].pid)
    assert "database_connection_pool_active 5.0" in page_of(PrometheusMetrics(CollectorRegistry()))
