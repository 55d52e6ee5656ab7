"""CORS through a running `boundary serve`: real preflight and simple requests from a browser's
point of view (`Origin` headers), with `CORS_ORIGINS` set and unset."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import StartService

pytestmark = pytest.mark.e2e

APP = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def test_a_listed_origin_gets_its_preflight_and_readable_answers(
    start_service: StartService,
) -> None:
    svc = start_service({"CORS_ORIGINS": f"{APP},http://localhost:5173"})
    preflight = httpx.options(f"{svc.api}/api/v1/auth/login", headers=PREFLIGHT, timeout=10)
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == APP
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers

    answer = httpx.get(f"{svc.api}/api/v1/auth/me", headers={"Origin": APP}, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == APP
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "x-correlation-id" in exposed
    assert "ratelimit-remaining" in exposed
    # The site's security headers are still there on a cross-origin answer.
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_an_unlisted_origin_is_refused_its_preflight(start_service: StartService) -> None:
    svc = start_service({"CORS_ORIGINS": APP})
    evil = {**PREFLIGHT, "Origin": "https://evil.example.net"}
    preflight = httpx.options(f"{svc.api}/api/v1/auth/login", headers=evil, timeout=10)
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    plain = httpx.get(f"{svc.api}/health", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in plain.headers


def test_without_cors_origins_no_cross_origin_access(start_service: StartService) -> None:
    svc = start_service()
    preflight = httpx.options(f"{svc.api}/api/v1/auth/login", headers=PREFLIGHT, timeout=10)
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    answer = httpx.get(f"{svc.api}/api/v1/auth/me", headers={"Origin": APP}, timeout=10)
    assert "access-control-allow-origin" not in answer.headers
