"""HTTP shell: the edge — what every request passes, in one layer and one pass.

    Edge (correlation id, access log + metrics, error report, security headers,
          unhandled errors, static probe answers)
        → read deadline → body limit → app

One ASGI layer instead of six: per request it scans the request headers once, wraps `send`
once, and builds the response head's header list once (the app's headers, the correlation id,
the security headers the app did not set, and any headers inner layers left in
`scope["state"]["response_headers"]` — the rate limiter's). Each former layer was a coroutine
frame and a `send` closure per request; together they were a fifth of a cheap request's CPU.

What it guarantees, outermost first:
- the correlation id exists before anything can answer, so every response and log line carries
  it (bound in structlog's context variables for the request);
- the access log sees the final status of everything inside, including the edge's own
  400/408/413/500, and request metrics ride on the same clock and status;
- 5xx answers and escaping exceptions go to error reporting (when configured);
- an exception escaping the app never reaches the server: it is logged (unless the error
  handlers already did) and answered with a 500 problem when no response started;
- `static` paths (the API listener's `/health/live`) are answered here without entering the
  framework: the loop answering is all liveness asks.

Probe paths (`/health`, `/health/live`, `/health/ready`) are logged at DEBUG — a load balancer
polls them every few seconds — and counted in metrics like any other request. The read
deadline and body limit sit closest to the app, and only wrap `receive` when a body can follow.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

from boundary.http.errors import (
    CORRELATION_ID_STATE_KEY,
    RESPONSE_HEADERS_STATE_KEY,
    EventLogger,
    already_logged,
    log_unhandled,
    logged_error,
    send_problem,
)
from boundary.http.middleware.access_log import (
    CLIENT_CLOSED_REQUEST,
    RequestRecorder,
    route_template,
)
from boundary.http.middleware.body_limit import BodyLimitMiddleware
from boundary.http.middleware.correlation import HEADER as CORRELATION_HEADER
from boundary.http.middleware.correlation import new_correlation_id
from boundary.http.middleware.metrics import RequestMetrics
from boundary.http.middleware.read_deadline import ReadDeadlineMiddleware
from boundary.http.middleware.security_headers import (
    SecurityHeaderValues,
    security_header_list,
)
from boundary.kernel.correlation import choose_correlation_id
from boundary.kernel.problems import standard_problem
from boundary.observability.errors.ports import ErrorReporter
from boundary.observability.metrics.ports import Metrics

__all__ = ["RESPONSE_HEADERS_STATE_KEY", "Edge", "SecurityHeaderValues", "wrap_edge"]

PROBE_PATHS: Final = frozenset({"/health", "/health/live", "/health/ready"})
_PROBE_ANSWERS: Final = frozenset({200, 503})
"""A probe's 503 is its answer (not ready yet, starting, draining), not a server failure: it
is logged at DEBUG like any probe and not reported; the health monitor logs the failing check."""
ROUTE_TAG: Final = "route"
STATUS_TAG: Final = "status"

StaticAnswer = tuple[int, bytes, bytes]
"""(status, body, content type) answered for GET/HEAD of a path without entering the app."""


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
    static: Mapping[str, StaticAnswer] | None = None,
) -> ASGIApp:
    """`app` behind the edge; `new_id` defaults to 32 random hex characters;
    `expected_statuses` are 5xx statuses the access log records at info, not error (and that
    are not reported). Without `metrics` / `reporter` that work is left out entirely."""
    inner = ReadDeadlineMiddleware(BodyLimitMiddleware(app, max_body_bytes=max_body_bytes))
    return Edge(
        inner,
        logger=logger,
        headers=headers,
        new_id=new_id or new_correlation_id,
        expected_statuses=expected_statuses,
        recorders=(RequestMetrics(metrics),) if metrics is not None else (),
        reporter=reporter,
        static=static or {},
    )


class Edge:
    """The one outer layer; see the module docstring for what it guarantees."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        logger: EventLogger,
        headers: SecurityHeaderValues,
        new_id: Callable[[], str] = new_correlation_id,
        expected_statuses: frozenset[int] = frozenset(),
        recorders: Sequence[RequestRecorder] = (),
        reporter: ErrorReporter | None = None,
        static: Mapping[str, StaticAnswer] | None = None,
    ) -> None:
        if not isinstance(headers, SecurityHeaderValues):
            raise TypeError("Edge: headers must be SecurityHeaderValues")
        if not callable(new_id):
            raise TypeError("Edge: new_id must be a callable returning str")
        if not all(callable(getattr(logger, name, None)) for name in ("info", "error")):
            raise TypeError("Edge: logger needs info() and error() methods")
        self.app = app
        self._logger = logger
        self._debug = getattr(logger, "debug", None) or logger.info
        self._security = security_header_list(headers)
        self._security_names = frozenset(name for name, _ in self._security)
        self._new_id = new_id
        self._expected = expected_statuses
        self._recorders = tuple(recorders)
        self._reporter = reporter
        self._static = {
            path: (status, body, [(b"content-type", media), *self._security])
            for path, (status, body, media) in (static or {}).items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        entry_root_path: str = scope.get("root_path", "")
        cid = choose_correlation_id(_incoming_id(scope), self._new_id)
        state: dict[str, Any] = scope.setdefault("state", {})
        state[CORRELATION_ID_STATE_KEY] = cid
        cid_header = (CORRELATION_HEADER, cid.encode("latin-1"))
        tokens = bind_contextvars(correlation_id=cid)
        try:
            answer = self._static.get(scope["path"])
            if answer is not None and scope["method"] in ("GET", "HEAD"):
                await self._answer_static(scope, send, answer, cid_header, start)
                return
            await self._run(scope, receive, send, state, cid_header, start, entry_root_path)
        finally:
            reset_contextvars(**tokens)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: dict[str, Any],
        cid_header: tuple[bytes, bytes],
        start: float,
        entry_root_path: str,
    ) -> None:
        status = 0
        security = self._security
        security_names = self._security_names

        async def send_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # A new list, never the app's: reused objects must not accumulate headers.
                headers = list(message.get("headers", ()))
                present = {name for name, _ in headers} & security_names
                headers.append(cid_header)
                extra = state.get(RESPONSE_HEADERS_STATE_KEY)
                if extra:
                    own = {name for name, _ in headers}
                    headers += [pair for pair in extra if pair[0] not in own]
                if present:
                    headers += [pair for pair in security if pair[0] not in present]
                else:
                    headers += security
                message = {**message, "headers": headers}
            await send(message)

        # Used only if no response started: cancelled (client gone) unless the app finished,
        # in which case the 500 below (or the server) answers.
        fallback = CLIENT_CLOSED_REQUEST
        failure: BaseException | None = None
        try:
            await self.app(scope, receive, send_edge)
            fallback = 500
        except Exception as exc:
            fallback = 500
            failure = exc
            if not already_logged(exc, scope):
                log_unhandled(self._logger, exc, scope)
            if not status:
                await send_problem(send_edge, standard_problem(500), scope)
        finally:
            final = status or fallback
            route = route_template(scope, entry_root_path)
            self._log(scope, state, route, final, start)
            if self._reporter is not None and (failure is not None or final >= 500):
                self._report(scope, route, final, failure)

    async def _answer_static(
        self,
        scope: Scope,
        send: Send,
        answer: tuple[int, bytes, list[tuple[bytes, bytes]]],
        cid_header: tuple[bytes, bytes],
        start: float,
    ) -> None:
        status, body, headers = answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *headers,
                    cid_header,
                    (b"content-length", str(len(body)).encode("latin-1")),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
        path: str = scope["path"]
        self._log(scope, scope["state"], path, status, start)

    def _log(
        self, scope: Scope, state: dict[str, Any], route: str, status: int, start: float
    ) -> None:
        elapsed_ms = (time.perf_counter() - start) * 1000
        method: str = scope["method"]
        path: str = scope["path"]
        if path in PROBE_PATHS and status in _PROBE_ANSWERS:
            log = self._debug
        elif status >= 500 and status not in self._expected:
            log = self._logger.error
        elif path in PROBE_PATHS:
            log = self._debug
        else:
            log = self._logger.info
        client = scope.get("client")
        log(
            "request",
            method=method,
            route=route,
            path=path,
            status=status,
            duration_ms=round(elapsed_ms, 2),
            client_ip=state.get("client_ip") or (client[0] if client else None),
            user_id=state.get("user_id"),
        )
        for record in self._recorders:
            record(route, method, status, elapsed_ms)

    def _report(self, scope: Scope, route: str, status: int, failure: BaseException | None) -> None:
        """A 5xx (or an escaping exception) to error reporting, as the exception behind it
        when the error handlers logged one, else as a message naming route and status."""
        if failure is None and (
            status in self._expected or (scope["path"] in PROBE_PATHS and status in _PROBE_ANSWERS)
        ):
            return
        reporter = self._reporter
        assert reporter is not None
        tags = {ROUTE_TAG: route, STATUS_TAG: str(status)}
        exc = failure or logged_error(scope)
        if exc is not None:
            reporter.capture_exception(exc, tags=tags)
            return
        reporter.capture_message(
            f"HTTP {status} on {scope['method']} {route}", level="error", tags=tags
        )


def _incoming_id(scope: Scope) -> str | None:
    """The first `X-Correlation-ID` request header (ASGI header names arrive lowercased)."""
    for name, value in scope["headers"]:
        if name == CORRELATION_HEADER:
            return str(value.decode("latin-1"))
    return None
