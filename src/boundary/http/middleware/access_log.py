"""HTTP shell middleware: exactly one access-log event per request (contract §8).

The event is emitted after the app returns — whether it answered, raised, or the request was
cancelled because the client went away — so `status`, `user_id` (set by authentication) and
`client_ip` (set by the proxy-aware middleware) are final. `route` is the matched route
template, never the raw path, so dashboards and metrics keep a bounded cardinality.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boundary.http.errors import EventLogger

UNMATCHED_ROUTE: Final = "<unmatched>"
CLIENT_CLOSED_REQUEST: Final = 499
"""Status logged when the request was cancelled before any response started (nginx's 499)."""

RequestRecorder = Callable[[str, str, int, float], None]
"""Told of every finished request: (route template, method, status, duration in ms). Request
metrics are one; they ride on this layer's clock and status instead of adding their own."""


class AccessLogMiddleware:
    """Log `request` with method, route, path, status, duration_ms, client_ip and user_id."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        logger: EventLogger,
        expected_statuses: frozenset[int] = frozenset(),
        recorders: Sequence[RequestRecorder] = (),
    ) -> None:
        if not (
            callable(getattr(logger, "info", None)) and callable(getattr(logger, "error", None))
        ):
            raise TypeError("AccessLogMiddleware: logger needs info() and error() methods")
        self.app = app
        self._logger = logger
        # 5xx answers that are signals, not failures (ops probes say 503 while starting or
        # draining): logged at info so they do not page anyone.
        self._expected = expected_statuses
        self._recorders = tuple(recorders)

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

        # Used only if no response started: cancelled (client gone) unless the app finished,
        # in which case the server (or the error layers) answers 500.
        fallback = CLIENT_CLOSED_REQUEST
        try:
            await self.app(scope, receive, send_recording)
            fallback = 500
        except Exception:
            fallback = 500
            raise
        finally:
            self._log(scope, entry_root_path, status or fallback, start)

    def _log(self, scope: Scope, entry_root_path: str, status: int, start: float) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        client = scope.get("client")
        failed = status >= 500 and status not in self._expected
        log = self._logger.error if failed else self._logger.info
        elapsed_ms = (time.perf_counter() - start) * 1000
        route = route_template(scope, entry_root_path)
        method: str = scope["method"]
        log(
            "request",
            method=method,
            route=route,
            path=scope["path"],
            status=status,
            duration_ms=round(elapsed_ms, 2),
            client_ip=state.get("client_ip") or (client[0] if client else None),
            user_id=state.get("user_id"),
        )
        for record in self._recorders:
            record(route, method, status, elapsed_ms)


def route_template(scope: Scope, entry_root_path: str = "") -> str:
    """The template of the route that handled the request, e.g. `/api/v1/users/{id}`.

    Routers record the matched route in `scope["route"]` (FastAPI's APIRouter only for API
    routes). Since FastAPI 0.16x `include_router` no longer copies routes with the prefix
    applied, so `route.path_format` lacks the router prefixes; FastAPI keeps the full template
    in `scope["fastapi"]["effective_route_context"]`, which is read when it refers to the same
    route. A `Mount` grows `root_path`; that growth is the mount prefix. Requests that matched
    nothing get `UNMATCHED_ROUTE`; inside a mount, `<prefix>/{path}`.
    """
    mount_prefix = _mount_prefix(scope, entry_root_path)
    route = scope.get("route")
    if isinstance(route, Mount) or (route is None and mount_prefix):
        return mount_prefix + "/{path}"
    template = _fastapi_template(scope, route) or getattr(route, "path_format", None)
    return mount_prefix + template if isinstance(template, str) else UNMATCHED_ROUTE


def _mount_prefix(scope: Scope, entry_root_path: str) -> str:
    root_path: str = scope.get("root_path", "")
    if len(root_path) > len(entry_root_path) and root_path.startswith(entry_root_path):
        return root_path[len(entry_root_path) :].rstrip("/")
    return ""


def _fastapi_template(scope: Scope, route: object) -> str | None:
    """FastAPI's full template for `route`, through its private scope data (checked, not
    assumed: anything unexpected falls back to the route's own `path_format`)."""
    fastapi_scope = scope.get("fastapi")
    if route is None or not isinstance(fastapi_scope, dict):
        return None
    context = fastapi_scope.get("effective_route_context")
    if getattr(context, "original_route", None) is not route:
        return None
    template = getattr(context, "path_format", None)
    return template if isinstance(template, str) else None
