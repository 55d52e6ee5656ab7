"""HTTP shell: request metrics (contract §9), recorded by the access-log layer.

Per request: `http.requests.count{path,method,status}` and `http.request.duration{path,method}`
in ms, where `path` is the matched route template (as in the access log) and every unmatched
path is the one label `<unmatched>`, so a scanner cannot explode cardinality. A 5xx answer (or
an exception escaping the app) also counts `application.errors.count{type}` with
`type:http_5xx`. `RequestMetrics` is an `access_log.RequestRecorder`: it uses the access log's
clock and final status rather than wrapping the app once more. The port never blocks or raises.
"""

from __future__ import annotations

from typing import Final

from boundary.observability.metrics.ports import Metrics

REQUESTS_METRIC: Final = "http.requests.count"
DURATION_METRIC: Final = "http.request.duration"
ERRORS_METRIC: Final = "application.errors.count"
HTTP_5XX: Final = "http_5xx"


class RequestMetrics:
    """Count and time every HTTP request by route template, method and status."""

    def __init__(self, metrics: Metrics) -> None:
        if not all(callable(getattr(metrics, name, None)) for name in ("increment", "timing")):
            raise TypeError("RequestMetrics: metrics needs increment() and timing() methods")
        self._metrics = metrics

    def __call__(self, route: str, method: str, status: int, elapsed_ms: float) -> None:
        metrics = self._metrics
        metrics.increment(
            REQUESTS_METRIC, tags={"path": route, "method": method, "status": str(status)}
        )
        metrics.timing(DURATION_METRIC, elapsed_ms, tags={"path": route, "method": method})
        if status >= 500:
            metrics.increment(ERRORS_METRIC, tags={"type": HTTP_5XX})
