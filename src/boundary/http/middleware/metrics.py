"""HTTP shell middleware: request metrics (contract §9).

Per request: `http.requests.count{path,method,status}` and `http.request.duration{path,method}`
in ms, where `path` is the matched route template (`route_template`, as in the access log) and
every unmatched path is the one label `<unmatched>`, so a scanner cannot explode cardinality.
A 5xx answer (or an exception escaping the app) also counts `application.errors.count{type}`
with `type:http_5xx`. Recorded after the app returns, like the access log; the metrics port
never blocks or raises. Place it inside the edge next to `AccessLogMiddleware`.
"""

from __future__ import annotations

import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boundary.http.middleware.access_log import CLIENT_CLOSED_REQUEST, route_template
from boundary.observability.metrics.ports import Metrics

REQUESTS_METRIC: Final = "http.requests.count"
DURATION_METRIC: Final = "http.request.duration"
ERRORS_METRIC: Final = "application.errors.count"
HTTP_5XX: Final = "http_5xx"


class MetricsMiddleware:
    """Count and time every HTTP request by route template, method and status."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        if not all(callable(getattr(metrics, name, None)) for name in ("increment", "timing")):
            raise TypeError("MetricsMiddleware: metrics needs increment() and timing() methods")
        self.app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        entry_root_path: str = scope.get("root_path", "")
        status: int | None = None

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        fallback = CLIENT_CLOSED_REQUEST  # cancelled before answering, unless the app finished
        try:
            await self.app(scope, receive, send_recording)
            fallback = 500
        except Exception:
            fallback = 500
            raise
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            self._record(scope, entry_root_path, status or fallback, elapsed_ms)

    def _record(self, scope: Scope, entry_root_path: str, status: int, elapsed_ms: float) -> None:
        path = route_template(scope, entry_root_path)
        method: str = scope["method"]
        metrics = self._metrics
        metrics.increment(
            REQUESTS_METRIC, tags={"path": path, "method": method, "status": str(status)}
        )
        metrics.timing(DURATION_METRIC, elapsed_ms, tags={"path": path, "method": method})
        if status >= 500:
            metrics.increment(ERRORS_METRIC, tags={"type": HTTP_5XX})
