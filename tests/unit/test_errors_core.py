"""Error-report scrubbing and the failed-login alert decision (pure core)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.redaction import REDACTED
from boundary.observability.errors.core import (
    FailedLoginWatch,
    record_failure,
    scrub,
    scrub_query_string,
)

PASSWORD = "hunter2-Secret!"
BEARER = "eyJhbGciOiJIUzI1NiJ9.payload.signature"


def sentry_event() -> dict[str, Any]:
    return {
        "event_id": "abc",
        "level": "error",
        "request": {
            "url": "https://api.example.com/api/v1/auth/login",
            "method": "POST",
            "data": {"email": "a@example.com", "password": PASSWORD},
            "cookies": {"session": "cookie-value"},
            "query_string": f"next=%2Fhome&access_token={BEARER}",
            "headers": {
                "Authorization": f"Bearer {BEARER}",
                "Cookie": "session=cookie-value",
                "User-Agent": "curl/8",
            },
        },
        "extra": {
            "payload": {"user": {"credentials": {"password": PASSWORD}}},
            "note": f"retrying with Bearer {BEARER}",
            "db": f"postgresql://boundary:{PASSWORD}@db/boundary",
        },
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "stacktrace": {
                        "frames": [{"function": "login", "vars": {"password": PASSWORD, "n": 1}}]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": "login", "data": {"mfa_code": "123456"}}]},
    }


def test_scrub_removes_bodies_cookies_and_credential_headers() -> None:
    request = scrub(sentry_event())["request"]
    assert "data" not in request
    assert "cookies" not in request
    assert request["headers"] == {"User-Agent": "curl/8"}
    assert request["query_string"] == f"next=%2Fhome&access_token={REDACTED}"
    assert request["url"] == "https://api.example.com/api/v1/auth/login"


def test_scrub_hides_secrets_at_any_depth() -> None:
    scrubbed = scrub(sentry_event())
    text = json.dumps(scrubbed)
    assert PASSWORD not in text
    assert BEARER not in text
    assert "cookie-value" not in text
    assert "123456" not in text
    assert scrubbed["extra"]["payload"]["user"]["credentials"] == REDACTED
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["vars"] == {"password": REDACTED, "n": 1}
    assert scrubbed["extra"]["note"] == f"retrying with Bearer {REDACTED}"


def test_scrub_leaves_the_input_alone_and_keeps_harmless_fields() -> None:
    event = sentry_event()
    scrubbed = scrub(event)
    assert event["request"]["data"]["password"] == PASSWORD
    assert scrubbed["event_id"] == "abc"
    assert scrubbed["level"] == "error"


def test_scrub_handles_header_lists() -> None:
    event = {"request": {"headers": [["Authorization", "Basic dXNlcjpwdw=="], ["Accept", "*/*"]]}}
    assert scrub(event)["request"]["headers"] == [["Accept", "*/*"]]


def test_scrub_query_string_redacts_only_sensitive_parameters() -> None:
    assert scrub_query_string("page=2&token=abc&q=x") == "page=2&token=[REDACTED]&q=x"


secret_keys = st.sampled_from(["password", "access_token", "clientSecret", "api-key", "Cookie"])
plain_keys = st.sampled_from(["name", "items", "data2", "level", "info"])
nested = st.recursive(
    st.dictionaries(secret_keys, st.just(PASSWORD), min_size=1, max_size=2),
    lambda children: (
        st.dictionaries(plain_keys, children, min_size=1, max_size=3)
        | st.lists(children, min_size=1, max_size=3)
    ),
    max_leaves=10,
)


@given(nested)
def test_scrub_never_leaks_a_secret_value_however_deep(value: Any) -> None:
    assert PASSWORD not in json.dumps(scrub({"extra": {"value": value}}))


def feed(watch: FailedLoginWatch, times: list[float]) -> tuple[FailedLoginWatch, list[float]]:
    """The watch after failures at `times`, and the times at which it alerted."""
    alerts: list[float] = []
    for now in times:
        watch, alert = record_failure(watch, now)
        if alert is not None:
            alerts.append(now)
    return watch, alerts


def test_fifty_failures_do_not_alert_the_fifty_first_does() -> None:
    _, alerts = feed(FailedLoginWatch(), [float(second) for second in range(50)])
    assert alerts == []
    _, alerts = feed(FailedLoginWatch(), [float(second) for second in range(51)])
    assert alerts == [50.0]


def test_failures_spread_wider_than_the_window_do_not_alert() -> None:
    """51 failures 6 seconds apart span 300 s: never more than 50 in any 5 minutes."""
    _, alerts = feed(FailedLoginWatch(), [second * 6.0 for second in range(51)])
    assert alerts == []


def test_alerts_at_most_once_per_five_minutes() -> None:
    """A steady attack of one failure a second alerts at 50 s, 350 s, 650 s."""
    _, alerts = feed(FailedLoginWatch(), [float(second) for second in range(700)])
    assert alerts == [50.0, 350.0, 650.0]


def test_after_a_quiet_period_a_new_burst_alerts_again() -> None:
    burst = [float(second) for second in range(51)]
    later = [1000.0 + second for second in range(51)]
    _, alerts = feed(FailedLoginWatch(), burst + later)
    assert alerts == [50.0, 1050.0]


def test_memory_stays_bounded() -> None:
    watch, _ = feed(FailedLoginWatch(), [second / 10 for second in range(5000)])
    assert len(watch.recent) == 51


def count_in_window(times: list[float], now: float) -> int:
    return sum(1 for moment in times if now - 300.0 < moment <= now)


@given(st.lists(st.floats(min_value=0, max_value=3000, allow_nan=False), max_size=400))
def test_alert_rule_matches_a_brute_force_count(offsets: list[float]) -> None:
    """Alerts only with more than 50 failures in the last 5 minutes, never two within
    5 minutes, and whenever the rule holds and the last alert is 5 minutes old."""
    times = sorted(offsets)
    watch = FailedLoginWatch()
    last: float | None = None
    for index, now in enumerate(times):
        watch, alert = record_failure(watch, now)
        due = count_in_window(times[: index + 1], now) > 50 and (last is None or now - last >= 300)
        assert (alert is not None) == due
        if due:
            last = now
