"""Graceful shutdown of a real `boundary serve` (§7): drain, in-flight, second signal, stalls."""

from __future__ import annotations

import contextlib
import signal
import threading
import time

import httpx
import pytest

from tests.e2e.conftest import StartService

pytestmark = pytest.mark.e2e


def poll_until(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sigterm_turns_ops_503_while_api_keeps_serving(start_service: StartService) -> None:
    """During GRACEFUL_SHUTDOWN_WAIT_DURATION ops says 503 and the API still answers; exit 0."""
    svc = start_service(env={"GRACEFUL_SHUTDOWN_WAIT_DURATION": "2s"})
    svc.signal(signal.SIGTERM)
    signalled = time.monotonic()
    assert poll_until(lambda: httpx.get(f"{svc.ops}/health").status_code == 503, 1.0)
    assert httpx.get(f"{svc.ops}/health/ready").status_code == 503
    info = httpx.get(f"{svc.ops}/health", params={"worker_info": "true"})
    assert info.status_code == 503
    assert info.json()["worker_process_info"]["state"] == "shutdown"
    assert httpx.get(f"{svc.api}/health/ready").status_code == 503
    served = 0
    while time.monotonic() - signalled < 1.5:
        assert httpx.get(f"{svc.api}/health/live").status_code == 200
        served += 1
    assert served > 10
    assert svc.wait(20) == 0, svc.output()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{svc.api}/health/live", timeout=1)


def test_in_flight_request_completes_and_new_connections_are_refused(
    start_service: StartService,
) -> None:
    """A slow request started before SIGTERM finishes with 200; meanwhile the port refuses."""
    svc = start_service()
    result: dict[str, int] = {}

    def slow() -> None:
        result["status"] = httpx.get(
            f"{svc.api}/api/v1/_test/sleep?seconds=2", timeout=10
        ).status_code

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    svc.signal(signal.SIGTERM)
    time.sleep(0.5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{svc.api}/health/live", timeout=1)
    thread.join(10)
    assert result == {"status": 200}
    assert svc.wait(20) == 0, svc.output()


def test_drain_deadline_cuts_requests_and_exits_1(start_service: StartService) -> None:
    """A request longer than ops.shutdown_timeout is cut, and the exit code says so."""
    svc = start_service(env={"BOUNDARY_OPS__SHUTDOWN_TIMEOUT": "1s"})
    thread = threading.Thread(
        target=lambda: _ignore_errors(f"{svc.api}/api/v1/_test/sleep?seconds=10")
    )
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    svc.signal(signal.SIGTERM)
    assert svc.wait(20) == 1
    assert time.monotonic() - started < 8
    assert "Drain deadline exceeded" in svc.output()
    thread.join(10)


def _ignore_errors(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(url, timeout=15)


def test_second_signal_exits_at_once(start_service: StartService) -> None:
    """With a long drain wait, a second SIGINT ends the process promptly with exit 1."""
    svc = start_service(env={"GRACEFUL_SHUTDOWN_WAIT_DURATION": "30s"})
    svc.signal(signal.SIGTERM)
    assert poll_until(lambda: httpx.get(f"{svc.ops}/health").status_code == 503, 2.0)
    started = time.monotonic()
    svc.signal(signal.SIGINT)
    assert svc.wait(10) == 1
    assert time.monotonic() - started < 5
    assert "Second signal" in svc.output()


def test_workers_drain_and_exit_0(start_service: StartService) -> None:
    """With --workers 2 a SIGTERM drains both workers; ops turns 503 first."""
    svc = start_service(args=("--workers", "2"), env={"GRACEFUL_SHUTDOWN_WAIT_DURATION": "1s"})
    svc.signal(signal.SIGTERM)
    assert poll_until(lambda: httpx.get(f"{svc.ops}/health").status_code == 503, 2.0)
    assert svc.wait(30) == 0, svc.output()


def test_stuck_api_loop_turns_ops_health_503(start_service: StartService) -> None:
    """A blocked API event loop shows on ops /health as 503, and recovers afterwards."""
    svc = start_service(env={"BOUNDARY_OPS__LOOP_STALL_THRESHOLD": "500ms"})
    thread = threading.Thread(
        target=lambda: httpx.get(f"{svc.api}/api/v1/_test/block?seconds=3", timeout=10)
    )
    thread.start()
    assert poll_until(lambda: httpx.get(f"{svc.ops}/health", timeout=2).status_code == 503, 2.5)
    ready = httpx.get(f"{svc.ops}/health/ready", timeout=2)
    assert ready.status_code == 503
    assert "event_loop_stalled" in ready.json()["reasons"]
    thread.join(10)
    assert poll_until(lambda: httpx.get(f"{svc.ops}/health").status_code == 200, 3.0)
