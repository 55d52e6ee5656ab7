"""The listeners' ASGI apps (HTTP shell): `create_api_app` — FastAPI routes behind rate limiting
and the edge — and `create_ops_app` — the ops probes behind the edge. The composition root
(`boundary.system`) builds the services; only this module turns them into web apps."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from boundary.http import openapi
from boundary.http.account_pages.app import create_account_pages
from boundary.http.console import create_console_app
from boundary.http.docs_pages import install_docs_pages
from boundary.http.domain_errors import install_domain_errors
from boundary.http.edge import SecurityHeaderValues, StaticAnswer, wrap_edge
from boundary.http.errors import install_error_handlers
from boundary.http.fast_reads import FastReads
from boundary.http.middleware.rate_limit import rate_limited
from boundary.http.ops_app import OpsApp
from boundary.http.routes import account, auth, health, test_only, users
from boundary.observability.errors.ports import ErrorReporter
from boundary.observability.logging import Logger, get_logger
from boundary.observability.metrics.ports import Metrics
from boundary.observability.metrics.shell.noop import NoopMetrics

if TYPE_CHECKING:
    from boundary.config.model import Settings
    from boundary.system import System


def create_api_app(
    system: System, *, extra_routers: Sequence[APIRouter] = (), fast_reads: bool = True
) -> Any:
    """The API listener's ASGI app: FastAPI with health, the user API and the error handlers,
    behind the hot reads' fast path, rate limiting and the edge. `extra_routers` are for
    tests' own routes; `fast_reads=False` lets a test compare the routes' own answers."""
    settings = system.settings
    docs = settings.docs_on
    app = FastAPI(
        title=settings.name,
        version=system.version,
        # /docs and /redoc are served from bundled assets (`docs_pages`), not FastAPI's CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # Starlette's default answers `/path/` with a redirect built from the client's Host
        # header; a URL the API does not define is a 404 problem instead.
        redirect_slashes=False,
    )
    app.state.system = system
    install_error_handlers(app, get_logger("boundary.http.errors"))
    install_domain_errors(app, get_logger("boundary.db"))
    if docs:
        install_docs_pages(app)
    for router in (health.router, auth.router, account.router, users.router, *extra_routers):
        app.include_router(router)
    if settings.environment == "test":
        app.include_router(test_only.router)
    if settings.web.enabled:
        app.mount("/admin", create_console_app(system))
    app.mount("/account", create_account_pages(system))
    # Rate limits (§5) and the client IP: inside the edge, so 429s are logged and carry the
    # correlation id and security headers; on the API listener only, never on ops.
    routed = FastReads(app, system.user) if fast_reads else app
    limited = rate_limited(routed, system.rate_limit, system.user.deps.tokens)
    return wrap_for_listener(
        with_cors(limited, settings.http.cors_origins),
        settings,
        get_logger("boundary.http.access"),
        metrics=None if isinstance(system.metrics, NoopMetrics) else system.metrics,
        reporter=system.error_reporter,
        # Liveness asks only that the loop answers: the edge does, without the framework.
        static={"/health/live": (200, health.ALIVE, health.JSON.encode())},
    )


def with_cors(app: Any, origins: Sequence[str]) -> Any:
    """Cross-origin access for browser front-ends on `origins` (exact matches), outside the
    rate limiter so a 429 is readable by the page too; no credentials, ever. No origins: the
    app as it is (an `OPTIONS` preflight stays a 405, as for any unlisted method)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Correlation-ID"],
        allow_credentials=False,
        expose_headers=[
            "Location",
            "Link",
            "Retry-After",
            "X-Correlation-ID",
            *openapi.RATE_LIMIT_HEADERS,
        ],
        max_age=600,
    )


def create_ops_app(system: System) -> Any:
    """The ops listener's ASGI app: probes and `/metrics`, behind the edge (no rate limits)."""
    ops = OpsApp(
        system.lifecycle,
        metrics=system.metrics_exposition,
        liveness_stall_threshold=system.settings.ops.liveness_stall_threshold,
        clock=time.monotonic,
    )
    return wrap_for_listener(ops, system.settings, get_logger("boundary.ops.access"), probe=True)


def wrap_for_listener(
    app: Any,
    settings: Settings,
    access_logger: Logger,
    *,
    probe: bool = False,
    metrics: Metrics | None = None,
    reporter: ErrorReporter | None = None,
    static: Mapping[str, StaticAnswer] | None = None,
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
        static=static,
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
