"""Request metrics through the edge and a real FastAPI app: route templates,
statuses, 5xx errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from boundary.http.edge import Edge, SecurityHeaderValues
from boundary.http.errors import install_error_handlers
from boundary.http.middleware.metrics import RequestMetrics
from tests.fakes.observability import RecordingMetrics

pytestmark = pytest.mark.anyio


class SilentLogger:
    def info(self, event: str, /, **fields: Any) -> None:
        return None

    def error(self, event: str, /, **fields: Any) -> None:
        return None


HEADERS = SecurityHeaderValues(
    csp="default-src 'none'", hsts="max-age=1", x_xss_protection="0", referrer_policy="no-referrer"
)


def make_app(metrics: RecordingMetrics) -> Edge:
    router = APIRouter(prefix="/api/v1")

    @router.get("/users/{user_id}")
    async def get_user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app, SilentLogger())
    return Edge(app, logger=SilentLogger(), headers=HEADERS, recorders=[RequestMetrics(metrics)])


async def request(metrics: RecordingMetrics, method: str, path: str) -> int:
    transport = httpx.ASGITransport(app=make_app(metrics), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.request(method, path)).status_code


async def test_counts_and_times_by_route_template() -> None:
    """`path` is the template, never the raw path; status is a string tag; duration in ms."""
    metrics = RecordingMetrics()
    assert await request(metrics, "GET", "/api/v1/users/42") == 200
    tags = {"path": "/api/v1/users/{user_id}", "method": "GET", "status": "200"}
    assert metrics.named("http.requests.count") == [("increment", "http.requests.count", 1, tags)]
    [(kind, _, duration, duration_tags)] = metrics.named("http.request.duration")
    assert kind == "timing"
    assert duration_tags == {"path": "/api/v1/users/{user_id}", "method": "GET"}
    assert 0 <= duration < 5000
    assert metrics.named("application.errors.count") == []


async def test_unknown_paths_collapse_to_one_label() -> None:
    metrics = RecordingMetrics()
    assert await request(metrics, "GET", "/wp-admin/setup.php") == 404
    assert await request(metrics, "GET", "/api/v1/nothing/here") == 404
    paths = {call[3]["path"] for call in metrics.named("http.requests.count")}
    assert paths == {"<unmatched>"}


async def test_5xx_counts_an_application_error() -> None:
    metrics = RecordingMetrics()
    status = await request(metrics, "GET", "/api/v1/boom")
    assert status == 500
    [(_, _, _, tags)] = metrics.named("http.requests.count")
    assert tags == {"path": "/api/v1/boom", "method": "GET", "status": "500"}
    assert metrics.named("application.errors.count") == [
        ("increment", "application.errors.count", 1, {"type": "http_5xx"})
    ]


async def test_non_http_scopes_pass_through() -> None:
    metrics = RecordingMetrics()
    seen: list[str] = []

    async def app(scope: dict[str, str], receive: object, send: object) -> None:
        seen.append(scope["type"])

    middleware = Edge(  # type: ignore[arg-type]
        app, logger=SilentLogger(), headers=HEADERS, recorders=[RequestMetrics(metrics)]
    )
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]
    assert metrics.calls == []


def test_rejects_something_that_is_not_a_metrics_port() -> None:
    with pytest.raises(TypeError, match="metrics needs"):
        RequestMetrics(object())  # type: ignore[arg-type]
