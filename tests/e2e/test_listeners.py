"""Both listeners of a real `boundary serve`: health shapes, headers, problems, workers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import StartService

pytestmark = pytest.mark.e2e

SECURITY_HEADERS = {
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "strict-transport-security",
    "x-xss-protection",
    "referrer-policy",
}


def assert_edge_headers(response: httpx.Response) -> None:
    missing = SECURITY_HEADERS - set(response.headers)
    assert not missing, f"{response.url}: missing {missing}"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", response.headers["x-correlation-id"])


def test_api_health_endpoints_have_the_contract_shapes(start_service: StartService) -> None:
    """API /health, /health/live and /health/ready answer §6's bodies with the edge headers."""
    svc = start_service()
    health = httpx.get(f"{svc.api}/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "healthy"
    assert body["service"] == "boundary-api"
    assert body["version"] == "1.0.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timestamp"])
    assert isinstance(body["checks"], dict)
    assert httpx.get(f"{svc.api}/health/live").json() == {"status": "alive"}
    assert httpx.get(f"{svc.api}/health/ready").json() == {"status": "ready"}
    for response in (health, httpx.get(f"{svc.api}/health/live")):
        assert_edge_headers(response)
        assert response.headers["cache-control"] == "no-store"


def test_ops_listener_health_is_empty_200_and_worker_info_on_request(
    start_service: StartService,
) -> None:
    """Ops /health: empty 200; ?worker_info=true adds the seed's worker_process_info body."""
    svc = start_service()
    plain = httpx.get(f"{svc.ops}/health")
    assert plain.status_code == 200
    assert plain.content == b""
    assert_edge_headers(plain)
    info = httpx.get(f"{svc.ops}/health", params={"worker_info": "true"})
    assert info.status_code == 200
    worker = info.json()["worker_process_info"]
    assert worker["state"] == "active"
    assert isinstance(worker["active_session_count"], int)
    assert worker["upstream_connection_state"] in {
        "CONNECTING",
        "READY",
        "TRANSIENT_FAILURE",
        "IDLE",
        "SHUTDOWN",
    }
    assert httpx.get(f"{svc.ops}/health/live").json() == {"status": "alive"}
    assert httpx.get(f"{svc.ops}/health/ready").json() == {"status": "ready"}
    missing = httpx.get(f"{svc.ops}/nope", headers={"X-Correlation-ID": "ops-1"})
    assert missing.status_code == 404
    assert missing.json()["correlation_id"] == "ops-1"
    wrong = httpx.post(f"{svc.ops}/health")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD"
    assert wrong.headers["content-type"] == "application/problem+json"


def test_ops_metrics_is_prometheus_text(start_service: StartService) -> None:
    """Ops /metrics serves the Prometheus text format."""
    svc = start_service()
    response = httpx.get(f"{svc.ops}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "process_cpu_seconds_total" in response.text


def test_errors_are_problem_json_with_correlation_id(start_service: StartService) -> None:
    """404, 405 and 500 on the API are problem+json carrying the request's correlation id."""
    svc = start_service()
    cid = "req-abc123"
    cases = [
        ("GET", "/nope", 404),
        ("DELETE", "/health/live", 405),
        ("GET", "/api/v1/_test/error", 500),
    ]
    for method, path, status in cases:
        response = httpx.request(method, f"{svc.api}{path}", headers={"X-Correlation-ID": cid})
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status
        assert problem["correlation_id"] == cid
        assert response.headers["x-correlation-id"] == cid
        assert "Traceback" not in response.text
        assert "forced failure" not in response.text
        assert_edge_headers(response)
    assert "process_cpu_seconds_total" not in httpx.get(f"{svc.api}/metrics").text


def test_body_over_limit_is_413(start_service: StartService) -> None:
    """A body above http.max_body_bytes gets a 413 problem, chunked or not."""
    svc = start_service(env={"BOUNDARY_HTTP__MAX_BODY_BYTES": "1000"})
    big = b"x" * 5000
    response = httpx.post(f"{svc.api}/health/live", content=big)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"y" * 500

    chunked = httpx.post(f"{svc.api}/api/v1/_test/echo", content=chunks())
    assert chunked.status_code == 413
    assert chunked.headers["content-type"] == "application/problem+json"
    small = httpx.post(f"{svc.api}/api/v1/_test/echo", content=b"z" * 900)
    assert small.json() == {"received": 900}


def test_two_workers_share_both_ports(start_service: StartService) -> None:
    """--workers 2: two processes serve the same API and ops ports."""
    svc = start_service(args=("--workers", "2"), env={"LOG_FORMAT": "json"})
    deadline = time.monotonic() + 20
    while sum('"Started"' in line for line in svc.lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    listening = [json.loads(line) for line in svc.lines if '"Listening"' in line]
    pids = {event["pid"] for event in listening}
    assert len(pids) == 2, svc.output()
    # Each worker is named in `ps` (its command line, as /proc shows it).
    titles = sorted(
        Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode() for pid in pids
    )
    assert titles == ["boundary worker 0", "boundary worker 1"], titles
    for _ in range(20):
        assert httpx.get(f"{svc.api}/health/live").status_code == 200
        assert httpx.get(f"{svc.ops}/health").status_code == 200
    svc.signal()
    assert svc.wait(30) == 0, svc.output()


def nobody_listens(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


def test_workers_shut_down_when_the_supervisor_is_killed(start_service: StartService) -> None:
    """kill -9 of the supervisor (OOM killer, operator): no orphan worker keeps the ports."""
    svc = start_service(args=("--workers", "2"))
    svc.proc.kill()
    svc.proc.wait(10)
    api, ops = f"{svc.api}/health/live", f"{svc.ops}/health/live"
    deadline = time.monotonic() + 20
    # The ops listener closes last, a few ticks after the API (graceful shutdown order):
    # wait for both, or a probe in that gap sees ops still answering.
    while time.monotonic() < deadline and not (nobody_listens(api) and nobody_listens(ops)):
        time.sleep(0.1)
    assert nobody_listens(api)
    assert nobody_listens(ops)


def test_port_in_use_exits_1_with_a_message(start_service: StartService) -> None:
    """A port that is already taken makes serve exit 1 and say which listener failed."""
    first = start_service()
    second = start_service(env={"PORT": str(first.api_port)}, ready=False)
    assert second.wait(20) == 1
    assert f"Cannot bind the api listener on 127.0.0.1:{first.api_port}" in second.output()
    third = start_service(env={"OPS_PORT": str(first.ops_port)}, ready=False)
    assert third.wait(20) == 1
    assert f"Cannot bind the ops listener on 127.0.0.1:{first.ops_port}" in third.output()
