"""The HTTP edge end to end: a small FastAPI app with our error handlers, wrapped by wrap_edge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import orjson
import pytest
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boundary.http.edge import SecurityHeaderValues, wrap_edge
from boundary.http.errors import ProblemException, install_error_handlers
from boundary.kernel.problems import Problem

pytestmark = pytest.mark.anyio

LIMIT = 64
SECRET_MESSAGE = "SELECT password_hash FROM users -- password=hunter2"
HEADERS = SecurityHeaderValues(
    csp="default-src 'none'; frame-ancestors 'none'",
    hsts="max-age=63072000; includeSubDomains",
    x_xss_protection="1; mode=block",
    referrer_policy="no-referrer",
)
SECURITY_HEADERS = {
    "content-security-policy": HEADERS.csp,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "strict-transport-security": HEADERS.hsts,
    "x-xss-protection": HEADERS.x_xss_protection,
    "referrer-policy": HEADERS.referrer_policy,
}


class RecordingLogger:
    """A fake of our logger port: keeps (level, event, fields)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def info(self, event: str, /, **fields: Any) -> None:
        self.events.append(("info", event, fields))

    def error(self, event: str, /, **fields: Any) -> None:
        self.events.append(("error", event, fields))

    def named(self, event: str) -> list[tuple[str, dict[str, Any]]]:
        return [(level, fields) for level, name, fields in self.events if name == event]

    def only_access_event(self) -> tuple[str, dict[str, Any]]:
        (access,) = self.named("request")
        return access


class Item(BaseModel):
    name: str
    quantity: int


def build_app(logger: RecordingLogger) -> FastAPI:
    """Routes covering JSON, path params, a body model, a crash and raw body reads."""
    app = FastAPI()
    users = APIRouter(prefix="/users")
    api = APIRouter(prefix="/api/v1")

    @api.get("/ping")
    async def ping() -> dict[str, object]:
        return {"ok": True, "bound": structlog.contextvars.get_contextvars().get("correlation_id")}

    @users.get("/{user_id}")
    async def get_user(user_id: int, request: Request) -> dict[str, int]:
        request.state.user_id = str(user_id)  # what authentication will do
        return {"id": user_id}

    @api.post("/items")
    async def create_item(item: Item) -> Item:
        return item

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET_MESSAGE)

    @api.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @api.get("/cached")
    async def cached() -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"Cache-Control": "max-age=60"})

    @api.get("/conflict")
    async def conflict() -> None:
        problem = Problem(
            status=409,
            slug="conflict",
            title="Conflict",
            detail="Email taken.",
            headers=(("Retry-After", "5"), ("X-Hint", "from the problem")),
        )
        raise ProblemException(problem, headers={"X-Hint": "use another"})

    @api.get("/slow")
    async def slow() -> dict[str, object]:
        await asyncio.sleep(0.01)
        return {"bound": structlog.contextvars.get_contextvars().get("correlation_id")}

    api.include_router(users)
    app.include_router(api)
    install_error_handlers(app, logger)
    return app


@pytest.fixture
def logger() -> RecordingLogger:
    return RecordingLogger()


def edge_for(app: ASGIApp, logger: RecordingLogger) -> ASGIApp:
    return wrap_edge(app, max_body_bytes=LIMIT, headers=HEADERS, logger=logger)


@pytest.fixture
async def client(logger: RecordingLogger) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=edge_for(build_app(logger), logger))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def assert_edge_headers(response: httpx.Response, cache_control: str = "no-store") -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["cache-control"] == cache_control
    assert response.headers["x-correlation-id"]


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """A problem+json answer whose correlation id matches the header; returns the body."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert_edge_headers(response)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return body


async def chunks(total: int, size: int = 16) -> AsyncIterator[bytes]:
    """A request body without Content-Length (sent chunked)."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


# --- success paths ---------------------------------------------------------------------------


async def test_success_carries_security_headers_and_correlation_id(
    client: httpx.AsyncClient,
) -> None:
    """A plain JSON answer gets every security header, no-store and a fresh id."""
    response = await client.get("/api/v1/ping")

    assert response.status_code == 200
    assert_edge_headers(response)
    cid = response.headers["x-correlation-id"]
    assert len(cid) == 32
    assert response.json() == {"ok": True, "bound": cid}


async def test_app_cache_control_wins(client: httpx.AsyncClient) -> None:
    """A route that chose its own Cache-Control keeps it (and only it)."""
    response = await client.get("/api/v1/cached")

    assert response.headers.get_list("cache-control") == ["max-age=60"]
    assert_edge_headers(response, cache_control="max-age=60")


async def test_body_under_the_limit_reaches_the_app(client: httpx.AsyncClient) -> None:
    """Both a sized and a chunked body of exactly the limit are accepted."""
    sized = await client.post("/api/v1/echo", content=b"x" * LIMIT)
    chunked = await client.post("/api/v1/echo", content=chunks(LIMIT))

    assert sized.json() == {"received": LIMIT}
    assert chunked.json() == {"received": LIMIT}


# --- correlation ids ---------------------------------------------------------------------------


async def test_valid_incoming_correlation_id_is_echoed_and_bound(
    client: httpx.AsyncClient,
) -> None:
    """The client's id comes back on the response and is in the logging context meanwhile."""
    response = await client.get("/api/v1/ping", headers={"X-Correlation-ID": "client.req-42_a"})

    assert response.headers["x-correlation-id"] == "client.req-42_a"
    assert response.json()["bound"] == "client.req-42_a"


@pytest.mark.parametrize("incoming", [b"x" * 129, b"has space", b"semi;colon", "é".encode()])
async def test_invalid_incoming_correlation_id_is_replaced(
    client: httpx.AsyncClient, incoming: bytes
) -> None:
    """Too long or bad characters: a new id, also in error bodies."""
    response = await client.get("/nope", headers={b"X-Correlation-ID": incoming})

    body = assert_problem(response, 404, "not-found")
    assert len(body["correlation_id"]) == 32


async def test_correlation_id_is_unbound_after_the_request(client: httpx.AsyncClient) -> None:
    """The logging context is restored, so ids never leak into later work."""
    structlog.contextvars.bind_contextvars(correlation_id="outer")
    try:
        await client.get("/api/v1/ping", headers={"X-Correlation-ID": "inner"})
        assert structlog.contextvars.get_contextvars()["correlation_id"] == "outer"
    finally:
        structlog.contextvars.clear_contextvars()
    await client.get("/api/v1/ping")
    assert "correlation_id" not in structlog.contextvars.get_contextvars()


async def test_concurrent_requests_keep_their_own_ids(client: httpx.AsyncClient) -> None:
    """Interleaved requests each see their own id in the logging context."""
    ids = [f"req-{n}" for n in range(10)]

    responses = await asyncio.gather(
        *(client.get("/api/v1/slow", headers={"X-Correlation-ID": cid}) for cid in ids)
    )

    assert [r.json()["bound"] for r in responses] == ids


async def test_injected_id_generator_is_used(logger: RecordingLogger) -> None:
    """The id source is a parameter (tests and the composition root can choose it)."""
    edge = wrap_edge(
        build_app(logger),
        max_body_bytes=LIMIT,
        headers=HEADERS,
        logger=logger,
        new_id=lambda: "n-1",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=edge), base_url="http://testserver"
    ) as c:
        response = await c.get("/api/v1/ping")

    assert response.headers["x-correlation-id"] == "n-1"


# --- problem responses -------------------------------------------------------------------------


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404, "not-found")


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    """The Allow header from routing survives the problem rendering."""
    response = await client.delete("/api/v1/users/7")

    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


async def test_invalid_body_is_a_422_with_field_errors(client: httpx.AsyncClient) -> None:
    """Fields are dotted paths without the location; the input is not echoed."""
    response = await client.post("/api/v1/items", json={"name": ["secret-input"]})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {"field": "name", "message": "Input should be a valid string"},
        {"field": "quantity", "message": "Field required"},
    ]
    assert "secret-input" not in response.text


async def test_invalid_path_param_is_a_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/users/abc"), 422, "validation-error")

    assert [e["field"] for e in body["errors"]] == ["user_id"]


async def test_unparseable_json_is_a_400(client: httpx.AsyncClient) -> None:
    """Malformed JSON is not a validation failure but a malformed request."""
    response = await client.post(
        "/api/v1/items", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )

    body = assert_problem(response, 400, "bad-request")
    assert body["title"] == "Malformed request body"
    assert "errors" not in body


async def test_problem_exception_is_rendered_with_its_headers(client: httpx.AsyncClient) -> None:
    """The problem's own headers are sent; the exception's win on a clash."""
    response = await client.get("/api/v1/conflict")

    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == "Email taken."
    assert response.headers.get_list("x-hint") == ["use another"]
    assert response.headers["retry-after"] == "5"


async def test_unhandled_exception_is_a_generic_500_logged_once(
    client: httpx.AsyncClient, logger: RecordingLogger
) -> None:
    """No traceback or exception text reaches the client; the log gets the exception."""
    response = await client.get("/api/v1/boom")

    body = assert_problem(response, 500, "internal-error")
    for leak in ("Traceback", 'File "', "RuntimeError", "hunter2", "SELECT", "password"):
        assert leak not in response.text
    assert body["detail"].startswith("An unexpected error occurred")
    ((level, fields),) = logger.named("unhandled_exception")
    assert level == "error"
    assert isinstance(fields["exc_info"], RuntimeError)  # the logger renders kind/message/stack
    assert str(fields["exc_info"]) == SECRET_MESSAGE
    assert (fields["method"], fields["path"]) == ("GET", "/api/v1/boom")
    level, access = logger.only_access_event()
    assert (level, access["status"]) == ("error", 500)


# --- body limit --------------------------------------------------------------------------------


async def test_declared_oversized_body_is_refused_before_the_app(
    client: httpx.AsyncClient, logger: RecordingLogger
) -> None:
    """Content-Length over the limit: 413 without routing (the route is unmatched)."""
    response = await client.post("/api/v1/echo", content=b"x" * (LIMIT + 1))

    body = assert_problem(response, 413, "payload-too-large")
    assert str(LIMIT) in body["detail"]
    assert logger.only_access_event()[1]["route"] == "<unmatched>"


@pytest.mark.parametrize("path", ["/api/v1/echo", "/api/v1/items"])
async def test_streamed_oversized_body_is_cut_off(
    client: httpx.AsyncClient, logger: RecordingLogger, path: str
) -> None:
    """A chunked body crossing the limit while the app reads it is a 413, never the app's answer."""
    response = await client.post(path, content=chunks(LIMIT * 4))

    assert_problem(response, 413, "payload-too-large")
    assert logger.named("unhandled_exception") == []
    assert logger.only_access_event()[1]["status"] == 413


async def test_lying_content_length_is_cut_off(client: httpx.AsyncClient) -> None:
    """A small declared length does not let a large body through."""
    response = await client.post(
        "/api/v1/echo", content=b"x" * (LIMIT * 2), headers={"Content-Length": "10"}
    )

    assert_problem(response, 413, "payload-too-large")


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "+5"])
async def test_invalid_content_length_is_a_400(client: httpx.AsyncClient, value: str) -> None:
    response = await client.post("/api/v1/echo", content=b"x", headers={"Content-Length": value})

    assert_problem(response, 400, "bad-request")


async def test_huge_declared_length_is_a_413(client: httpx.AsyncClient) -> None:
    """A length with thousands of digits is just too large, not a crash."""
    response = await client.post(
        "/api/v1/echo", content=b"x", headers={"Content-Length": "9" * 5000}
    )

    assert_problem(response, 413, "payload-too-large")


# --- access log --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "route", "status"),
    [
        ("GET", "/api/v1/ping", "/api/v1/ping", 200),
        ("GET", "/api/v1/users/42", "/api/v1/users/{user_id}", 200),
        ("GET", "/api/v1/users/abc", "/api/v1/users/{user_id}", 422),
        ("PUT", "/api/v1/users/42", "/api/v1/users/{user_id}", 405),
        ("GET", "/api/v1/boom", "/api/v1/boom", 500),
        ("GET", "/not/a/route", "<unmatched>", 404),
    ],
)
async def test_exactly_one_access_event_with_route_template(
    client: httpx.AsyncClient,
    logger: RecordingLogger,
    method: str,
    path: str,
    route: str,
    status: int,
) -> None:
    """One `request` event per request, naming the template (bounded cardinality)."""
    await client.request(method, path)

    level, fields = logger.only_access_event()
    assert level == ("error" if status >= 500 else "info")
    assert fields["method"] == method
    assert fields["route"] == route
    assert fields["path"] == path
    assert fields["status"] == status
    assert isinstance(fields["duration_ms"], float)
    assert fields["duration_ms"] >= 0
    assert fields["client_ip"] == "127.0.0.1"


async def test_access_event_reads_user_and_client_ip_from_state(
    client: httpx.AsyncClient, logger: RecordingLogger
) -> None:
    """Authentication's user id is logged; anonymous requests log None."""
    await client.get("/api/v1/users/42")
    await client.get("/api/v1/ping")

    assert [fields["user_id"] for _, fields in logger.named("request")] == ["42", None]


async def test_client_ip_set_upstream_wins(logger: RecordingLogger) -> None:
    """A proxy-aware middleware's `state.client_ip` replaces the socket peer."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"]["client_ip"] = "203.0.113.9"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    await call(edge_for(app, logger), http_scope())

    assert logger.only_access_event()[1]["client_ip"] == "203.0.113.9"


# --- the last line: nothing escapes ------------------------------------------------------------


async def test_exception_before_any_response_becomes_a_500_problem(
    logger: RecordingLogger,
) -> None:
    """An app without our handlers that raises: 500 problem+json, logged once, not re-raised."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError(SECRET_MESSAGE)

    sent = await call(edge_for(app, logger), http_scope())

    start, body = sent
    assert start["status"] == 500
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"x-frame-options"] == b"DENY"
    problem = orjson.loads(body["body"])
    assert problem["correlation_id"] == headers[b"x-correlation-id"].decode()
    assert SECRET_MESSAGE not in body["body"].decode()
    assert len(logger.named("unhandled_exception")) == 1
    assert logger.only_access_event()[1]["status"] == 500


async def test_exception_after_response_started_is_swallowed(logger: RecordingLogger) -> None:
    """A stream that fails midway is logged once and not passed to the server."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("stream broke")

    sent = await call(edge_for(app, logger), http_scope())

    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert len(logger.named("unhandled_exception")) == 1
    assert logger.only_access_event()[1]["status"] == 200


async def test_cancelled_request_is_logged_once_as_499(logger: RecordingLogger) -> None:
    """A client that goes away before an answer still yields one access event."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.sleep_forever()

    with anyio.move_on_after(0.01):
        await call(edge_for(app, logger), http_scope())

    assert logger.only_access_event()[1]["status"] == 499
    assert logger.named("unhandled_exception") == []


@pytest.mark.parametrize("path", ["/api/v1/echo", "/api/v1/items"])
async def test_client_disconnect_while_reading_is_logged_once_as_499(
    logger: RecordingLogger, path: str
) -> None:
    """A client gone mid-body is not a server error: one 499 access event, no error log."""
    incoming: list[Message] = [
        {"type": "http.request", "body": b'{"na', "more_body": True},
        {"type": "http.disconnect"},
    ]
    scope = http_scope("POST", path)
    scope["headers"].append((b"content-type", b"application/json"))

    await call(edge_for(build_app(logger), logger), scope, incoming)

    level, access = logger.only_access_event()
    assert (level, access["status"], access["route"]) == ("info", 499, path)
    assert logger.named("unhandled_exception") == []


async def test_mounted_apps_get_prefixed_templates(logger: RecordingLogger) -> None:
    """A mount's prefix is part of the template; unmatched paths inside it stay bounded."""
    sub = FastAPI()

    @sub.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app = build_app(logger)
    app.mount("/sub", sub)
    edge = edge_for(app, logger)

    await call(edge, http_scope("GET", "/sub/things/1"))
    await call(edge, http_scope("GET", "/sub/nothing"))

    assert [f["route"] for _, f in logger.named("request")] == [
        "/sub/things/{thing_id}",
        "/sub/{path}",
    ]


async def test_non_http_scopes_pass_through(logger: RecordingLogger) -> None:
    """Lifespan (and websocket) traffic is not touched."""
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "lifespan.startup.complete"})

    sent = await call(edge_for(app, logger), {"type": "lifespan", "asgi": {"version": "3.0"}})

    assert sent == [{"type": "lifespan.startup.complete"}]
    assert "state" not in seen[0]
    assert logger.events == []


# --- configuration is checked up front ---------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -1])
def test_body_limit_must_be_positive(logger: RecordingLogger, limit: int) -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        wrap_edge(build_app(logger), max_body_bytes=limit, headers=HEADERS, logger=logger)


def test_header_values_cannot_inject_headers() -> None:
    with pytest.raises(ValueError, match="csp"):
        SecurityHeaderValues(
            csp="default-src 'none'\r\nSet-Cookie: a=b",
            hsts="max-age=1",
            x_xss_protection="0",
            referrer_policy="no-referrer",
        )


# --- raw ASGI helpers --------------------------------------------------------------------------


def http_scope(method: str = "GET", path: str = "/raw") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def call(app: ASGIApp, scope: Scope, incoming: list[Message] | None = None) -> list[Message]:
    """Drive `app` once; returns what it sent. Exceptions propagate (which tests forbid)."""
    sent: list[Message] = []
    request = incoming or [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if request:
            return request.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent
