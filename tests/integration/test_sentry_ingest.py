"""Sentry reporting end to end against a local stand-in for Sentry's ingest endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from structlog.contextvars import bound_contextvars

from boundary.config.model import Settings
from boundary.observability.errors.shell.sentry import (
    SentryReporter,
    close_sentry,
    init_sentry,
    reset_sentry,
)
from boundary.observability.errors.shell.watch import FailedLoginAlarm
from tests.support.sentry_ingest import Ingest

PASSWORD = "correct-horse-battery-staple-42"
BEARER = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl"


@pytest.fixture
def reporter(ingest: Ingest) -> Iterator[SentryReporter]:
    settings = Settings.model_validate(
        {
            "environment": "test",
            "error_reporting": {
                "dsn": f"http://key@127.0.0.1:{ingest.port}/1",
                "release": "1.2.3",
            },
        }
    )
    found = init_sentry(settings)
    assert found is not None
    yield found
    reset_sentry()


def wait_for_events(ingest: Ingest, reporter: SentryReporter, count: int) -> list[dict[str, Any]]:
    reporter.flush(5.0)
    deadline = time.monotonic() + 5.0
    while len(ingest.events()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return ingest.events()


def fail() -> None:
    raise RuntimeError("database exploded")


def test_captured_exception_arrives_tagged(ingest: Ingest, reporter: SentryReporter) -> None:
    """Environment, release and the correlation id (from the request's log context)."""
    try:
        fail()
    except RuntimeError as exc:
        with bound_contextvars(correlation_id="req-abc123"):
            reporter.capture_exception(exc, tags={"route": "/api/v1/_test/error"})
    [event] = wait_for_events(ingest, reporter, 1)
    assert ingest.paths[0].startswith("/api/1/envelope/")
    assert event["tags"]["correlation_id"] == "req-abc123"
    assert event["tags"]["route"] == "/api/v1/_test/error"
    assert event["environment"] == "test"
    assert event["release"] == "1.2.3"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"


def test_explicit_tags_win_and_user_id_is_set(ingest: Ingest, reporter: SentryReporter) -> None:
    with bound_contextvars(correlation_id="from-context"):
        reporter.capture_message(
            "hello", level="warning", tags={"correlation_id": "explicit", "user_id": "7"}
        )
    [event] = wait_for_events(ingest, reporter, 1)
    assert event["level"] == "warning"
    assert event["tags"]["correlation_id"] == "explicit"
    assert event["tags"]["user_id"] == "7"
    assert event["user"]["id"] == "7"


def test_no_envelope_contains_a_password_or_bearer_token(
    ingest: Ingest, reporter: SentryReporter
) -> None:
    """Secrets put in the event's request data, headers, query and extra are scrubbed."""

    def add_request(event: dict[str, Any], _hint: Any) -> dict[str, Any]:
        event["request"] = {
            "url": "http://api/api/v1/auth/login",
            "method": "POST",
            "data": {"email": "a@example.com", "password": PASSWORD},
            "headers": {"Authorization": f"Bearer {BEARER}", "Accept": "application/json"},
            "cookies": {"refresh": BEARER},
            "query_string": f"token={BEARER}",
        }
        return event

    with sentry_sdk.new_scope() as scope:
        scope.add_event_processor(add_request)  # type: ignore[arg-type]
        scope.set_extra("password", PASSWORD)
        scope.set_extra("login", {"credentials": {"password": PASSWORD}})
        scope.set_extra("note", f"called with Authorization: Bearer {BEARER}")
        scope.set_context("auth", {"access_token": BEARER})
        try:
            fail()
        except RuntimeError as exc:
            reporter.capture_exception(exc, tags={"correlation_id": "req-secret"})
    [event] = wait_for_events(ingest, reporter, 1)
    assert event["tags"]["correlation_id"] == "req-secret"
    assert event["request"]["headers"] == {"Accept": "application/json"}
    assert "data" not in event["request"]
    for body in ingest.bodies:
        assert PASSWORD.encode() not in body
        assert BEARER.encode() not in body


def test_failed_login_alarm_sends_one_warning_per_five_minutes(
    ingest: Ingest, reporter: SentryReporter
) -> None:
    now = [0.0]
    alarm = FailedLoginAlarm(reporter, clock=lambda: now[0])
    for _ in range(120):  # 120 failures within two minutes
        now[0] += 1.0
        alarm.record_failure()
    events = wait_for_events(ingest, reporter, 1)
    assert len(events) == 1
    assert events[0]["level"] == "warning"
    assert events[0]["tags"]["alert"] == "failed_logins"
    assert events[0]["message"] == "More than 50 failed logins within 300 seconds"


def test_init_sentry_is_once_and_off_without_dsn(reporter: SentryReporter) -> None:
    settings = Settings.model_validate({"environment": "test"})
    assert init_sentry(settings) is reporter  # already initialised: the same reporter
    reset_sentry()
    assert init_sentry(settings) is None
    close_sentry()
