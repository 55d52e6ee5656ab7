"""HTTP shell: every failure leaves as an RFC 9457 `application/problem+json` response.

Three routes lead here: exception handlers installed on the FastAPI app (routing errors,
validation errors, `ProblemException` raised by services, and anything unexpected), the edge
middleware answering for itself (413/400 from the body limit), and the edge (`http.edge.Edge`),
the last line that keeps an exception from ever reaching the server. All of them render through
`problem_response_parts`, so the body and headers are identical wherever the error came from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final, Protocol, TypeVar, cast

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import HTTPExceptionHandler, Scope, Send

from boundary.kernel.problems import FieldError, Problem, problem_body, standard_problem

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
NO_CORRELATION_ID: Final = "-"
CORRELATION_ID_STATE_KEY: Final = "correlation_id"
VERIFIED_BEARER_STATE_KEY: Final = "verified_bearer"
"""`(token, claims)` of a Bearer token whose signature the rate limiter already verified."""
RESPONSE_HEADERS_STATE_KEY: Final = "response_headers"
"""Inner layers append raw `(name, value)` pairs to `scope["state"][…]`; the edge adds them to
the response head unless the app set a header of that name itself."""
"""Where the correlation middleware leaves the request's id in `scope["state"]`."""

_LOGGED_ERROR_STATE_KEY: Final = "boundary.logged_error"
_REQUEST_LOCATIONS: Final = frozenset({"body", "query", "path", "header", "cookie"})
_E = TypeVar("_E", bound=Exception)


class EventLogger(Protocol):
    """The slice of our logger port the edge needs (a structlog logger satisfies it)."""

    def info(self, event: str, /, **fields: Any) -> object: ...

    def error(self, event: str, /, **fields: Any) -> object: ...


class ProblemException(Exception):
    """Raise (or subclass) this anywhere below a router to answer with `problem`.

    `headers` are sent in addition to the problem's own (and win on a clash); the message is
    the problem's detail so a stray log line never shows more than the client sees.
    """

    def __init__(self, problem: Problem, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(problem.detail or problem.title)
        self.problem = problem
        self.headers: dict[str, str] = dict(headers or {})


def correlation_id_of(scope: Scope) -> str:
    """The id the correlation middleware chose, or "-" when it did not run."""
    state = scope.get("state")
    cid = state.get(CORRELATION_ID_STATE_KEY) if isinstance(state, dict) else None
    return cid if isinstance(cid, str) else NO_CORRELATION_ID


def problem_response_parts(
    problem: Problem, scope: Scope, headers: Mapping[str, str] | None = None
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The encoded body and raw ASGI headers: content type and length, the problem's own
    headers, then `headers` (which win on a clash)."""
    body = orjson.dumps(
        problem_body(
            problem, instance=scope.get("path", ""), correlation_id=correlation_id_of(scope)
        )
    )
    raw = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))]
    merged = {name.lower(): value for name, value in (*problem.headers, *(headers or {}).items())}
    raw.extend((name.encode("latin-1"), value.encode("latin-1")) for name, value in merged.items())
    return body, raw


async def send_problem(send: Send, problem: Problem, scope: Scope) -> None:
    """Answer `problem` over raw ASGI, for middleware that runs outside FastAPI."""
    body, headers = problem_response_parts(problem, scope)
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def problem_response(
    problem: Problem, request: Request, headers: Mapping[str, str] | None = None
) -> Response:
    """The same problem as a Starlette response, for exception handlers."""
    body, raw = problem_response_parts(problem, request.scope, headers)
    response = Response(content=body, status_code=problem.status)
    response.raw_headers = raw
    return response


def log_unhandled(logger: EventLogger, exc: BaseException, scope: Scope) -> None:
    """Log an unexpected exception once at error level; mark it so no other layer repeats it.

    Only `exc_info` is passed: the logging module derives `error.kind`, `error.message` (with
    secrets redacted) and the stack from it, the same way for every error in the service.
    """
    logger.error(
        "unhandled_exception", exc_info=exc, method=scope.get("method"), path=scope.get("path")
    )
    scope.setdefault("state", {})[_LOGGED_ERROR_STATE_KEY] = exc


def logged_error(scope: Scope) -> BaseException | None:
    """The exception `log_unhandled` recorded for this request, if any (for error reporting)."""
    state = scope.get("state")
    exc = state.get(_LOGGED_ERROR_STATE_KEY) if isinstance(state, dict) else None
    return exc if isinstance(exc, BaseException) else None


def already_logged(exc: BaseException, scope: Scope) -> bool:
    state = scope.get("state")
    return isinstance(state, dict) and state.get(_LOGGED_ERROR_STATE_KEY) is exc


def validation_field_errors(errors: Sequence[Any]) -> tuple[FieldError, ...]:
    """Pydantic/FastAPI error dicts as (field, message), without echoing the input back."""
    return tuple(
        FieldError(field=_field_path(e.get("loc", ())), message=str(e.get("msg", "")))
        for e in errors
    )


def _field_path(loc: Sequence[object]) -> str:
    """`("body", "items", 0, "name")` → `items.0.name`; a bare location stays as it is."""
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in _REQUEST_LOCATIONS:
        parts = parts[1:]
    return ".".join(parts)


def _is_invalid_json(errors: Sequence[Any]) -> bool:
    return any(isinstance(e, dict) and e.get("type") == "json_invalid" for e in errors)


class _Handlers:
    """The exception handlers, sharing one logger."""

    def __init__(self, logger: EventLogger) -> None:
        self._logger = logger

    async def http_exception(self, request: Request, exc: StarletteHTTPException) -> Response:
        """Routing and framework errors (404, 405 with its Allow header, 400 body errors…)."""
        if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI's "error parsing the body"
            return await self.client_disconnect(request, exc.__cause__)
        headers = dict(exc.headers or {})
        if exc.status_code < 400:  # 204/304 and friends carry no body, as in Starlette.
            return Response(status_code=exc.status_code, headers=headers)
        allowed = allowed_methods(request) if exc.status_code == 405 else ""
        if allowed:
            headers["Allow"] = allowed  # the key Starlette used; names are merged case-blind
        problem = standard_problem(exc.status_code, detail=_own_detail(exc))
        return problem_response(problem, request, headers)

    async def validation_error(self, request: Request, exc: RequestValidationError) -> Response:
        """422 with field errors; a body that is not JSON at all is a 400."""
        errors = exc.errors()
        if _is_invalid_json(errors):
            problem = standard_problem(400, detail="The request body is not valid JSON.")
        else:
            problem = standard_problem(422, errors=validation_field_errors(errors))
        return problem_response(problem, request)

    async def problem_exception(self, request: Request, exc: ProblemException) -> Response:
        return problem_response(exc.problem, request, exc.headers)

    async def client_disconnect(self, request: Request, exc: ClientDisconnect) -> Response:
        """Nobody will read this answer; 499 keeps the access log and metrics honest (the
        client's doing, not a server error) instead of an error log with a stack."""
        return problem_response(standard_problem(499), request)

    async def unhandled(self, request: Request, exc: Exception) -> Response:
        """500 with a generic detail: the client never sees the exception, the log does."""
        log_unhandled(self._logger, exc, request.scope)
        return problem_response(standard_problem(500), request)


_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method the request's path supports, for a 405's `Allow` header.

    Starlette's own 405 names only the methods of the first route whose path matched, but one
    path often has several routes (`GET /users` and `POST /users`). So the app's routes are
    asked, method by method, whether they would take this path.
    """
    routes = getattr(request.app, "routes", ())
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed)


def _own_detail(exc: StarletteHTTPException) -> str | None:
    """The raiser's detail; None for Starlette's bare reason phrase ("Not Found"), which the
    catalogue's default explains better, and for non-string details."""
    detail = exc.detail
    if not isinstance(detail, str) or detail == _reason_phrase(exc.status_code):
        return None
    return detail


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def install_error_handlers(app: FastAPI, logger: EventLogger) -> None:
    """Make every error `app` answers a problem document; unexpected ones are logged once."""
    handlers = _Handlers(logger)
    _register(app, StarletteHTTPException, handlers.http_exception)
    _register(app, RequestValidationError, handlers.validation_error)
    _register(app, ProblemException, handlers.problem_exception)
    _register(app, ClientDisconnect, handlers.client_disconnect)
    _register(app, Exception, handlers.unhandled)


def _register(
    app: FastAPI, exc_type: type[_E], handler: Callable[[Request, _E], Awaitable[Response]]
) -> None:
    """Starlette types handlers as taking any Exception; `exc_type` guarantees the narrower one."""
    app.add_exception_handler(exc_type, cast(HTTPExceptionHandler, handler))
