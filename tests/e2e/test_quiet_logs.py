"""Expected answers are not errors: a readiness probe answered 503 (not ready: starting, the
database not there yet) is a DEBUG access line, not an ERROR; the health monitor is what
reports a failing check."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.e2e.conftest import StartService

pytestmark = pytest.mark.e2e


def test_a_not_ready_probe_is_logged_at_debug(start_service: StartService) -> None:
    url = "postgresql://postgres@127.0.0.1:1/nowhere"  # no database yet: not ready
    env = {"DATABASE_URL": url, "LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
    svc = start_service(env=env, ready=False)
    deadline = time.monotonic() + 20
    status = 0
    while time.monotonic() < deadline:
        try:
            status = httpx.get(f"{svc.api}/health/ready", timeout=5).status_code
            break
        except httpx.TransportError:
            time.sleep(0.2)
    assert status == 503, (status, svc.output()[-300:])
    deadline = time.monotonic() + 10

    def probe_lines() -> list[dict[str, object]]:
        events = [json.loads(line) for line in list(svc.lines) if line.startswith("{")]
        return [e for e in events if e.get("path") == "/health/ready" and e.get("status") == 503]

    while not probe_lines() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = probe_lines()
    assert lines, svc.output()
    assert {line["level"] for line in lines} == {"debug"}
