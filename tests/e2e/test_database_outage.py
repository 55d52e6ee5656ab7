"""A real `boundary serve` on PostgreSQL losing its database and getting it back (§4, §6, §7)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.conftest import FreshDatabase
from tests.e2e.conftest import StartService
from tests.support.databases import set_connections_allowed

pytestmark = pytest.mark.e2e


def poll_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_readiness_follows_the_database_without_a_restart(
    start_service: StartService, fresh_database: FreshDatabase
) -> None:
    """DB gone: ready 503 within 5 s, live 200, API 503 problems; DB back: 200 again."""
    url = fresh_database("postgresql")
    svc = start_service(env={"DATABASE_URL": url, "BOUNDARY_DATABASE__POOL_TIMEOUT_MS": "1000"})
    assert httpx.get(f"{svc.api}/api/v1/_test/db").json() == {"value": 1}

    set_connections_allowed(url, False)
    try:
        assert poll_until(lambda: httpx.get(f"{svc.ops}/health/ready").status_code == 503, 5.0)
        ready = httpx.get(f"{svc.ops}/health/ready").json()
        assert "database_unreachable" in ready["reasons"]
        assert "migrations_pending" not in ready["reasons"]
        assert httpx.get(f"{svc.ops}/health/live").status_code == 200
        assert httpx.get(f"{svc.ops}/health").status_code == 503
        info = httpx.get(f"{svc.ops}/health", params={"worker_info": "true"}).json()
        state = info["worker_process_info"]["upstream_connection_state"]
        assert state in {"CONNECTING", "TRANSIENT_FAILURE"}
        started = time.monotonic()
        api = httpx.get(f"{svc.api}/api/v1/_test/db", timeout=10)
        assert time.monotonic() - started < 3
        assert api.status_code == 503
        assert api.headers["content-type"] == "application/problem+json"
        assert api.headers["retry-after"]
        health = httpx.get(f"{svc.api}/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unhealthy"
    finally:
        set_connections_allowed(url, True)

    assert poll_until(lambda: httpx.get(f"{svc.ops}/health/ready").status_code == 200, 10.0)
    assert poll_until(lambda: httpx.get(f"{svc.api}/api/v1/_test/db").status_code == 200, 5.0)
    assert httpx.get(f"{svc.api}/health").json()["status"] == "healthy"
    assert "Health check failing" in svc.output()
    assert "Health check recovered" in svc.output()


def test_exhausted_pool_answers_503_within_the_timeout(
    start_service: StartService, fresh_database: FreshDatabase
) -> None:
    """Pool size 1 held by a slow request: the next DB request is a 503 problem, not a hang."""
    url = fresh_database("postgresql")
    svc = start_service(
        env={
            "DATABASE_URL": url,
            "DATABASE_POOL_SIZE": "1",
            "DATABASE_POOL_TIMEOUT": "500",
        }
    )
    holder = threading.Thread(
        target=lambda: httpx.get(f"{svc.api}/api/v1/_test/hold-db?seconds=3", timeout=10)
    )
    holder.start()
    time.sleep(0.5)
    started = time.monotonic()
    response = httpx.get(f"{svc.api}/api/v1/_test/db", timeout=10)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert elapsed < 2.5
    holder.join(10)
    assert httpx.get(f"{svc.api}/api/v1/_test/db").status_code == 200
    assert "Database pool exhausted" in svc.output()
