"""Metrics and error reports of a real `boundary serve` on PostgreSQL (§9, §10, §13).

A UDP socket stands in for the Datadog agent, a local HTTP server for Sentry's ingest; the
service is driven over HTTP like any client would, and the ops `/metrics` page is read with
one worker and with two.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FreshDatabase
from tests.e2e.conftest import StartService
from tests.support.databases import set_connections_allowed
from tests.support.process import Service, free_port, run_cli
from tests.support.sentry_ingest import Ingest

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "observability admin passphrase 42"
WRONG_PASSWORD = "wrong-but-secret-passphrase-77"
BEARER = "eyJhbGciOiJIUzI1NiJ9.b2JzZXJ2YWJpbGl0eQ.c2lnbmF0dXJlLXNlY3JldA"


class StatsdSink:
    """A UDP socket where the service's DogStatsD client sends its datagrams."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.lines.extend(data.decode().splitlines())

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if predicate(line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no matching datagram; got {self.lines[-20:]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def datagram(line: str) -> tuple[str, str, set[str]]:
    """`name:value|type|#tags` → (name, type, tags)."""
    head, _, tags = line.partition("|#")
    name_value, _, kind = head.partition("|")
    name = name_value.rpartition(":")[0]
    return name, kind, set(tags.split(",")) if tags else set()


def has(name: str, kind: str, *tags: str) -> Callable[[str], bool]:
    def match(line: str) -> bool:
        got_name, got_kind, got_tags = datagram(line)
        return got_name == name and got_kind == kind and set(tags) <= got_tags

    return match


@pytest.fixture
def statsd() -> Iterator[StatsdSink]:
    sink = StatsdSink()
    yield sink
    sink.close()


@pytest.fixture
def migrated(fresh_database: FreshDatabase) -> str:
    url = fresh_database("postgresql")
    result = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return url


def create_admin(url: str, email: str) -> None:
    result = run_cli(
        "users",
        "create-admin",
        "--email",
        email,
        "--password-stdin",
        env={"DATABASE_URL": url},
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr


def login(svc: Service, email: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{svc.api}/api/v1/auth/login", json={"email": email, "password": password}, timeout=10
    )


def wait_for_events(ingest: Ingest, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        for event in ingest.events():
            if predicate(event):
                return event
        time.sleep(0.05)
    raise AssertionError(f"no matching Sentry event; got {ingest.events()}")


def test_statsd_datagrams_and_sentry_events_after_real_traffic(
    start_service: StartService, migrated: str, statsd: StatsdSink, ingest: Ingest
) -> None:
    email = "ops-admin@example.com"
    create_admin(migrated, email)
    svc = start_service(
        env={
            "DATABASE_URL": migrated,
            "BOUNDARY_METRICS__PROVIDERS": "datadog-statsd,prometheus",
            "DATADOG_STATSD_HOST": "127.0.0.1",
            "DATADOG_STATSD_PORT": str(statsd.port),
            "DATADOG_SERVICE": "boundary-e2e",
            "DATADOG_ENVIRONMENT": "ci",
            "SENTRY_DSN": f"http://public@127.0.0.1:{ingest.port}/1",
            "SENTRY_RELEASE": "9.9.9",
            "BOUNDARY_RATE_LIMIT__LOGIN_FAILURES": "2/minute",
            "BOUNDARY_DATABASE__POOL_TIMEOUT_MS": "1000",
        }
    )
    ok = login(svc, email, ADMIN_PASSWORD)
    assert ok.status_code == 200, ok.text
    token = ok.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{svc.api}/api/v1/users",
        json={
            "email": "new-user@example.com",
            "name": "New",
            "password": ADMIN_PASSWORD,
            "role": "user",
        },
        headers=auth,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    fetched = httpx.get(f"{svc.api}/api/v1/users/{created.json()['id']}", headers=auth)
    assert fetched.status_code == 200
    assert httpx.get(f"{svc.api}/api/v1/no/such/path").status_code == 404
    assert [login(svc, email, WRONG_PASSWORD).status_code for _ in range(3)] == [401, 401, 429]
    forced = httpx.get(
        f"{svc.api}/api/v1/_test/error",
        headers={"X-Correlation-ID": "e2e-forced-500", "Authorization": f"Bearer {BEARER}"},
    )
    assert forced.status_code == 500

    constant = ("service:boundary-e2e", "env:ci", "version:")
    user_path = "path:/api/v1/users/{id}"
    statsd.wait_for(has("http.requests.count", "c", user_path, "method:GET", "status:200"))
    statsd.wait_for(has("http.request.duration", "d", user_path, "method:GET"))
    statsd.wait_for(has("http.requests.count", "c", "path:<unmatched>", "status:404"))
    statsd.wait_for(has("http.requests.count", "c", "path:/api/v1/_test/error", "status:500"))
    statsd.wait_for(has("application.errors.count", "c", "type:http_5xx"))
    statsd.wait_for(has("database.query.count", "c", "operation:select"))
    statsd.wait_for(has("database.query.duration", "d", "operation:insert"))
    statsd.wait_for(has("database.connection.pool.active", "g"))
    statsd.wait_for(has("database.connection.pool.idle", "g"))
    statsd.wait_for(has("application.users.created.count", "c", "role:user"))
    statsd.wait_for(has("application.sessions.active", "g"))
    statsd.wait_for(has("rate_limit.exceeded.count", "c", "limit:login_failures"))
    every = statsd.lines[:]
    assert all(
        any(tag.startswith(c) for tag in datagram(line)[2]) for line in every for c in constant
    )

    page = httpx.get(f"{svc.ops}/metrics").text
    assert 'http_requests_count_total{method="GET",path="/api/v1/users/{id}",status="200"}' in page
    assert "rate_limit_exceeded_count_total" in page

    event = wait_for_events(ingest, lambda e: e.get("tags", {}).get("status") == "500")
    assert event["tags"]["correlation_id"] == "e2e-forced-500"
    assert event["environment"] == "test"
    assert event["release"] == "9.9.9"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"

    # The database goes away: a request gets 503, and Sentry hears of the connection failure.
    set_connections_allowed(migrated, False)
    try:
        down = httpx.get(
            f"{svc.api}/api/v1/_test/db", headers={"X-Correlation-ID": "e2e-db-down"}, timeout=10
        )
        assert down.status_code == 503
        failure = wait_for_events(
            ingest, lambda e: e.get("tags", {}).get("component") == "database"
        )
        assert failure["level"] == "error"
        report = wait_for_events(
            ingest,
            lambda e: e["tags"].get("correlation_id") == "e2e-db-down" and "status" in e["tags"],
        )
        assert report["tags"]["status"] == "503"
    finally:
        set_connections_allowed(migrated, True)

    bodies = b"".join(ingest.bodies)
    for secret in (ADMIN_PASSWORD, WRONG_PASSWORD, BEARER, token):
        assert secret.encode() not in bodies


def test_requests_succeed_unchanged_when_nothing_listens_for_statsd(
    start_service: StartService,
) -> None:
    closed = free_port()  # nothing listens there: every datagram is refused
    svc = start_service(
        env={"BOUNDARY_METRICS__PROVIDERS": "datadog-statsd", "DATADOG_STATSD_PORT": str(closed)}
    )
    statuses = [
        httpx.post(f"{svc.api}/api/v1/_test/echo", content=b"x").status_code for _ in range(50)
    ]
    assert statuses == [200] * 50
    assert httpx.get(f"{svc.ops}/health/ready").status_code == 200
    assert httpx.get(f"{svc.ops}/metrics").status_code == 404  # no Prometheus provider


def counter_sum(page: str, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    total = 0.0
    for line in page.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_prometheus_page_adds_up_every_worker(start_service: StartService) -> None:
    """Two workers share the ports; whichever answers `/metrics` shows both workers' counts."""
    svc = start_service(
        env={"BOUNDARY_RATE_LIMIT__ENABLED": "false", "DATABASE_URL": "sqlite:///:memory:"},
        args=("--workers", "2"),
    )
    for _ in range(40):  # a new connection each time, so the kernel spreads them
        assert httpx.post(f"{svc.api}/api/v1/_test/echo", content=b"x").status_code == 200
    for _ in range(6):  # each page may come from either worker: all must agree
        page = httpx.get(f"{svc.ops}/metrics").text
        served = counter_sum(
            page, "http_requests_count_total", path="/api/v1/_test/echo", status="200"
        )
        assert served == 40
        assert (
            'http_request_duration_bucket{le="100.0",method="POST",path="/api/v1/_test/echo"}'
            in page
        )
