"""HTTP shell middleware: every 5xx answer goes to error reporting (contract §10).

An exception that escaped the app and was logged by the error handlers is reported as that
exception (with its stack); any other 5xx (a 503 while the database is down, a 500 the app
wrote itself) as one error message naming the route and status. Reported after the app
returns, from the request's own context, so the correlation id and user id bound for the
request go with the event. The reporter queues the event and never blocks or raises here.

Only installed when a reporter is configured (`SENTRY_DSN`); it sits just inside the access
log, where the status is final, including the 500 the unhandled-error layer writes.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boundary.http.errors import logged_error
from boundary.http.middleware.access_log import route_template
from boundary.observability.errors.ports import ErrorReporter

ROUTE_TAG: Final = "route"
STATUS_TAG: Final = "status"


class ErrorReportMiddleware:
    """Report 5xx responses (and the exception behind them, when there was one)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        reporter: ErrorReporter,
        expected_statuses: frozenset[int] = frozenset(),
    ) -> None:
        self.app = app
        self._reporter = reporter
        self._expected = expected_statuses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry_root_path: str = scope.get("root_path", "")
        status = 0

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        except Exception as exc:  # the error layers inside answer 500; report, then re-raise
            self._report(scope, entry_root_path, status or 500, exc)
            raise
        if status >= 500 and status not in self._expected:
            self._report(scope, entry_root_path, status, logged_error(scope))

    def _report(
        self, scope: Scope, entry_root_path: str, status: int, exc: BaseException | None
    ) -> None:
        route = route_template(scope, entry_root_path)
        tags = {ROUTE_TAG: route, STATUS_TAG: str(status)}
        if exc is not None:
            self._reporter.capture_exception(exc, tags=tags)
            return
        self._reporter.capture_message(
            f"HTTP {status} on {scope['method']} {route}", level="error", tags=tags
        )
