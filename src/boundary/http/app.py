"""The API listener's app factory (shell): FastAPI routers behind the HTTP edge middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from boundary.db.shell.http_errors import install_database_errors
from boundary.http.edge import SecurityHeaderValues, wrap_edge
from boundary.http.errors import install_error_handlers
from boundary.observability.errors.ports import ErrorReporter
from boundary.observability.logging import Logger, get_logger
from boundary.observability.metrics.noop import NoopMetrics
from boundary.observability.metrics.ports import Metrics

if TYPE_CHECKING:
    from boundary.config.model import Settings
    from boundary.system import System


def create_api_app(system: System) -> Any:
    """FastAPI with health, every registered router and the error handlers, wrapped in the edge."""
    from boundary.ops.shell import api_routes

    settings = system.settings
    docs = settings.docs_on
    app = FastAPI(
        title=settings.name,
        version=system.version,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.system = system
    install_error_handlers(app, get_logger("boundary.http.errors"))
    install_database_errors(app, get_logger("boundary.db"))
    app.include_router(api_routes.router)
    for router in system.routers:
        app.include_router(router)
    if settings.environment == "test":
        from boundary.http import test_routes

        app.include_router(test_routes.router)
    # Rate limits (§5) and the client IP: inside the edge, so 429s are logged and carry the
    # correlation id and security headers; on the API listener only, never on ops.
    limited = system.rate_limit.wrap(app, system.user.deps.tokens)
    return wrap_for_listener(
        limited,
        settings,
        get_logger("boundary.http.access"),
        metrics=None if isinstance(system.metrics, NoopMetrics) else system.metrics,
        reporter=system.error_reporter,
    )


def wrap_for_listener(
    app: Any,
    settings: Settings,
    access_logger: Logger,
    *,
    probe: bool = False,
    metrics: Metrics | None = None,
    reporter: ErrorReporter | None = None,
) -> Any:
    """Correlation id, access log, security headers and body limit around any ASGI app;
    `probe` marks the ops listener, whose 503s are readiness signals rather than failures.
    The API listener adds request metrics and 5xx error reports (§9, §10)."""
    return wrap_edge(
        app,
        max_body_bytes=settings.http.max_body_bytes,
        headers=security_header_values(settings),
        logger=access_logger,
        expected_statuses=frozenset({503}) if probe else frozenset(),
        metrics=metrics,
        reporter=reporter,
    )


def security_header_values(settings: Settings) -> SecurityHeaderValues:
    """The configured security headers; the listeners' own refusals (408/431) carry them too."""
    http = settings.http
    return SecurityHeaderValues(
        csp=http.content_security_policy,
        hsts=http.strict_transport_security,
        x_xss_protection=http.x_xss_protection,
        referrer_policy=http.referrer_policy,
    )
