"""The rate-limit core: decisions, headers, failure modes, exemptions and route overrides (§5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.ratelimit import core
from boundary.ratelimit.core import Allow, Deny, Quota, RouteOverrides

PUBLIC = Quota(name="public", rate="100/minute", amount=100, window=60)
LOGIN = Quota(name="login_failures", rate="5/15minutes", amount=5, window=900, mode="closed")
NOW = 1_700_000_000.0


# --- decisions and headers ---------------------------------------------------------------------


def test_an_allowed_hit_reports_what_is_left_and_when_the_window_frees() -> None:
    """Reset is the storage's reset time as delta-seconds, rounded up."""
    decision = core.decide(PUBLIC, allowed=True, remaining=99, reset_at=NOW + 59.2, now=NOW)
    assert decision == Allow(quota=PUBLIC, remaining=99, reset_after=60)


def test_a_denied_hit_says_retry_after_at_least_one_second() -> None:
    """A reset already due still tells the client to wait one second, never zero."""
    decision = core.decide(PUBLIC, allowed=False, remaining=0, reset_at=NOW - 3, now=NOW)
    assert decision == Deny(quota=PUBLIC, retry_after=1)


def test_the_headers_of_a_denial() -> None:
    """Retry-After first, then the widely used trio and the IETF draft's two headers."""
    assert core.headers(Deny(quota=PUBLIC, retry_after=42)) == (
        ("Retry-After", "42"),
        ("RateLimit-Limit", "100"),
        ("RateLimit-Remaining", "0"),
        ("RateLimit-Reset", "42"),
        ("RateLimit", "limit=100, remaining=0, reset=42"),
        ("RateLimit-Policy", "100;w=60"),
    )


def test_the_headers_of_an_allowed_request_have_no_retry_after() -> None:
    headers = dict(core.headers(Allow(quota=LOGIN, remaining=3, reset_after=800)))
    assert "Retry-After" not in headers
    assert headers["RateLimit"] == "limit=5, remaining=3, reset=800"
    assert headers["RateLimit-Policy"] == "5;w=900"


@given(
    allowed=st.booleans(),
    remaining=st.integers(-5, 200),
    offset=st.floats(-100, 10_000, allow_nan=False),
)
def test_header_values_stay_within_the_quota(allowed: bool, remaining: int, offset: float) -> None:
    """Whatever the storage reports: 0 ≤ remaining ≤ limit, 0 ≤ reset ≤ window, integers."""
    decision = core.decide(
        PUBLIC, allowed=allowed, remaining=remaining, reset_at=NOW + offset, now=NOW
    )
    headers = dict(core.headers(decision))
    assert 0 <= int(headers["RateLimit-Remaining"]) <= PUBLIC.amount
    assert 0 <= int(headers["RateLimit-Reset"]) <= PUBLIC.window
    if isinstance(decision, Deny):
        assert headers["RateLimit-Remaining"] == "0"
        assert 1 <= int(headers["Retry-After"]) == int(headers["RateLimit-Reset"])


# --- failure modes -----------------------------------------------------------------------------


def test_a_local_decision_stands_in_for_the_unreachable_storage_in_either_mode() -> None:
    local = Deny(quota=LOGIN, retry_after=30)
    assert core.on_storage_failure(LOGIN, local) is local
    allowed = Allow(quota=PUBLIC, remaining=4, reset_after=10)
    assert core.on_storage_failure(PUBLIC, allowed) is allowed


def test_without_any_decision_open_allows_and_closed_refuses() -> None:
    assert isinstance(core.on_storage_failure(PUBLIC, None), Allow)
    assert core.on_storage_failure(LOGIN, None) == Deny(quota=LOGIN, retry_after=1)


def test_only_closed_limits_keep_local_counters_in_step() -> None:
    assert core.mirrors_locally(LOGIN)
    assert not core.mirrors_locally(PUBLIC)


# --- exemptions and overrides ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/health", "/health/live", "/health/ready", "/metrics", "/docs", "/docs/oauth2-redirect",
     "/redoc", "/docs/assets/swagger-ui-bundle.js",
     "/openapi.json", "/api/v1/_test/error"],
)  # fmt: skip
def test_health_metrics_docs_and_test_routes_are_exempt(path: str) -> None:
    assert core.is_exempt(path)


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/users", "/api/v1/auth/login", "/"])
def test_everything_else_is_limited(path: str) -> None:
    assert not core.is_exempt(path)


def test_route_overrides_match_exact_paths_and_templates() -> None:
    overrides = RouteOverrides(
        {("post", "/api/v1/auth/refresh"): LOGIN, ("GET", "/api/v1/users/{user_id}"): PUBLIC}
    )
    assert overrides.find("POST", "/api/v1/auth/refresh") == ("/api/v1/auth/refresh", LOGIN)
    assert overrides.find("GET", "/api/v1/users/42") == ("/api/v1/users/{user_id}", PUBLIC)
    assert overrides.find("GET", "/api/v1/users/42/sessions") is None
    assert overrides.find("DELETE", "/api/v1/users/42") is None
    assert not RouteOverrides()
