"""HTTP shell: the edge — the middleware every API request passes, in one fixed order.

    correlation → access log (+ metrics) → [error report] → security headers
        → unhandled errors → read deadline → body limit → app

Outermost first. The correlation id exists before anything can answer, so every response and
log line carries it; the access log sees the final status of everything inside it, including
the edge's own 400/413/500, and records request metrics from the same clock and status; error
reporting (when configured) sits right inside it; security headers and `Cache-Control` land on
those too; the unhandled-error layer turns an exception escaping the app into a 500 problem (or
drops it once FastAPI already answered) so nothing reaches the server; the read deadline (the
listener's 408 for a body that arrives too slowly) and the body limit sit closest to the app so
they can cut off the app's reads.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp

from boundary.http.errors import EventLogger, UnhandledErrorMiddleware
from boundary.http.middleware.access_log import AccessLogMiddleware
from boundary.http.middleware.body_limit import BodyLimitMiddleware
from boundary.http.middleware.correlation import CorrelationIdMiddleware, new_correlation_id
from boundary.http.middleware.error_report import ErrorReportMiddleware
from boundary.http.middleware.metrics import RequestMetrics
from boundary.http.middleware.read_deadline import ReadDeadlineMiddleware
from boundary.http.middleware.security_headers import (
    SecurityHeadersMiddleware,
    SecurityHeaderValues,
)
from boundary.observability.errors.ports import ErrorReporter
from boundary.observability.metrics.ports import Metrics

__all__ = ["SecurityHeaderValues", "wrap_edge"]


def wrap_edge(
    app: ASGIApp,
    *,
    max_body_bytes: int,
    headers: SecurityHeaderValues,
    logger: EventLogger,
    new_id: Callable[[], str] | None = None,
    expected_statuses: frozenset[int] = frozenset(),
    metrics: Metrics | None = None,
    reporter: ErrorReporter | None = None,
) -> ASGIApp:
    """`app` wrapped in the edge layers; `new_id` defaults to 32 random hex characters;
    `expected_statuses` are 5xx statuses the access log records at info, not error (and that
    are not reported). Without `metrics` / `reporter` those layers are left out entirely."""
    wrapped: ASGIApp = BodyLimitMiddleware(app, max_body_bytes=max_body_bytes)
    wrapped = ReadDeadlineMiddleware(wrapped)
    wrapped = UnhandledErrorMiddleware(wrapped, logger=logger)
    wrapped = SecurityHeadersMiddleware(wrapped, values=headers)
    if reporter is not None:
        wrapped = ErrorReportMiddleware(
            wrapped, reporter=reporter, expected_statuses=expected_statuses
        )
    wrapped = AccessLogMiddleware(
        wrapped,
        logger=logger,
        expected_statuses=expected_statuses,
        recorders=(RequestMetrics(metrics),) if metrics is not None else (),
    )
    return CorrelationIdMiddleware(wrapped, new_id=new_id or new_correlation_id)
