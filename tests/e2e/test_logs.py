"""Log output of a real `boundary serve` in both formats (§8, §13 "Logs")."""

from __future__ import annotations

import json
import re
import signal

import httpx
import pytest

from tests.e2e.conftest import StartService

pytestmark = pytest.mark.e2e

CONSOLE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \[[\w.]+\] .+"
)


def test_json_format_every_line_is_an_object_with_access_events(
    start_service: StartService,
) -> None:
    """LOG_FORMAT=json: every printed line, start-up and shutdown included, is one JSON object."""
    svc = start_service(env={"LOG_FORMAT": "json"})
    httpx.get(f"{svc.api}/api/v1/auth/me", headers={"X-Correlation-ID": "trace-me-1"})
    httpx.get(f"{svc.api}/api/v1/auth/me", headers={"Authorization": "Bearer secret-token-xyz"})
    httpx.get(f"{svc.api}/health/live")  # a probe: logged at debug, so not printed at info
    svc.signal(signal.SIGTERM)
    assert svc.wait(20) == 0
    events = [json.loads(line) for line in svc.lines if line.strip()]
    assert len(events) > 5
    for event in events:
        assert event["level"] in {"trace", "debug", "info", "warn", "error", "fatal"}
        assert event["timestamp"].endswith("Z")
        assert {"message", "service", "logger"} <= set(event)
    access = [e for e in events if e.get("message") == "request"]
    assert [e["route"] for e in access] == ["/api/v1/auth/me", "/api/v1/auth/me"]
    first = access[0]
    assert first["correlation-id"] == "trace-me-1"
    assert {"method", "route", "status", "duration-ms", "user-id", "client-ip"} <= set(first)
    assert "secret-token-xyz" not in svc.output()
    assert any("Stopped" in e["message"] for e in events)


def test_console_format_lines(start_service: StartService) -> None:
    """The default console format: `date time LEVEL [logger] message key=value`."""
    svc = start_service(env={"LOG_LEVEL": "debug"})
    httpx.get(f"{svc.api}/health/live")
    svc.signal(signal.SIGTERM)
    assert svc.wait(20) == 0
    lines = [line for line in svc.lines if line.strip()]
    assert lines
    assert all(CONSOLE.match(line) for line in lines), svc.output()
    assert any(
        "DEBUG" in line and "route=/health/live" in line and "status=200" in line for line in lines
    )


def test_warn_level_silences_info_start_up_lines(start_service: StartService) -> None:
    """LOG_LEVEL=warn prints nothing for an uneventful start and stop."""
    svc = start_service(env={"LOG_LEVEL": "WARN"})
    httpx.get(f"{svc.api}/health/live")
    svc.signal(signal.SIGTERM)
    assert svc.wait(20) == 0
    assert [line for line in svc.lines if line.strip()] == []
