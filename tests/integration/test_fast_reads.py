"""The hot reads' fast path (`boundary.http.fast_reads`) on every database: it answers the plain
successes itself, sends everything else the full way, and whichever way a request goes, the
client sees the same answer as from the routes alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from boundary.http.app import create_api_app
from boundary.http.errors import VERIFIED_BEARER_STATE_KEY
from boundary.http.fast_reads import FastReads
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio

COMPARED_HEADERS = ("content-type", "cache-control", "link", "www-authenticate")
VOLATILE_FIELDS = {"correlation_id", "instance"}


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    async with user_api(database_url) as built:
        yield built


async def _callers(api: UserApi) -> dict[str, dict[str, str]]:
    admin = await api.make_user("admin")
    viewer = await api.make_user("viewer")
    user = await api.make_user("user")
    return {
        "admin": await api.token_for(admin),
        "viewer": await api.token_for(viewer),
        "user": await api.token_for(user),
        "none": {},
        "forged": {"Authorization": "Bearer not-a-token"},
    }


async def _requests(api: UserApi) -> list[str]:
    target = await api.make_user("user", name="Target")
    deleted = await api.make_user("user", deleted_at=target.created_at)
    return [
        "/api/v1/auth/me",
        f"/api/v1/users/{target.id}",
        f"/api/v1/users/{target.id.hex}",
        f"/api/v1/users/{deleted.id}",
        f"/api/v1/users/{uuid.uuid4()}",
        "/api/v1/users/not-a-uuid",
        "/api/v1/users",
        "/api/v1/users?limit=2&offset=1",
        "/api/v1/users?role=user&active=true&extra=kept",
        "/api/v1/users?role=viewer&active=false",
        "/api/v1/users?active=1",
        "/api/v1/users?role=user&role=admin",
        "/api/v1/users?q=target",
        "/api/v1/users?q=TARGET&role=user&active=true&limit=1",
        "/api/v1/users?q=",
        "/api/v1/users?q=%C3%A9t",
        "/api/v1/users?q=%25_",
        "/api/v1/users?q=a%00b",
        "/api/v1/users?q=" + "x" * 254,
        "/api/v1/users?q=" + "x" * 255,
        "/api/v1/users?q=a&q=b",
        "/api/v1/users?limit=0",
        "/api/v1/users?limit=101",
        "/api/v1/users?offset=-1",
        "/api/v1/users?limit=07",
        "/api/v1/users?role=",
    ]


def _seen(response: httpx.Response) -> tuple[int, Any, dict[str, str | None]]:
    body: Any = response.json()
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key not in VOLATILE_FIELDS}
    return response.status_code, body, {h: response.headers.get(h) for h in COMPARED_HEADERS}


async def test_every_answer_equals_the_routes_own(api: UserApi) -> None:
    callers = await _callers(api)
    paths = await _requests(api)
    routes_only = httpx.ASGITransport(
        app=create_api_app(api.system, fast_reads=False), client=("127.0.0.1", 50000)
    )
    async with httpx.AsyncClient(transport=routes_only, base_url="http://testserver") as plain:
        for caller, headers in callers.items():
            for path in paths:
                fast = await api.client.get(path, headers=headers)
                full = await plain.get(path, headers=headers)
                assert _seen(fast) == _seen(full), (caller, path)


class _Recording:
    """The app behind the fast path: records which requests went the full way."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"] + "?" + scope["query_string"].decode())
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def _status(
    app: Any, path: str, headers: dict[str, str], token: tuple[str, Any] | None
) -> int:
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "state": {} if token is None else {VERIFIED_BEARER_STATE_KEY: token},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def test_plain_successes_are_answered_without_the_routes(api: UserApi) -> None:
    admin = await api.make_user("admin")
    user = await api.make_user("user")
    bearer = (await api.token_for(admin))["Authorization"].removeprefix("Bearer ")
    verified = (bearer, api.module.deps.tokens.verify(bearer))
    own = (await api.token_for(user))["Authorization"].removeprefix("Bearer ")
    own_verified = (own, api.module.deps.tokens.verify(own))
    inner = _Recording()
    fast = FastReads(inner, api.module)

    answered_here = [
        "/api/v1/auth/me",
        f"/api/v1/users/{user.id}",
        "/api/v1/users",
        "/api/v1/users?limit=5&offset=2&role=user&active=true&other=1",
        "/api/v1/users?q=x",
        "/api/v1/users?q=",
    ]
    for path in answered_here:
        assert await _status(fast, path, {}, verified) == 200, path
    assert inner.paths == []

    full_way = [
        ("/api/v1/auth/me", None),  # no verified token
        (f"/api/v1/users/{uuid.uuid4()}", verified),  # no such user
        ("/api/v1/users/not-a-uuid", verified),
        ("/api/v1/users?q=a%01b", verified),  # the route's 422
        ("/api/v1/users?q=" + "x" * 255, verified),
        ("/api/v1/users?q=x&q=y", verified),
        ("/api/v1/users?active=yes", verified),
        ("/api/v1/users?limit=500", verified),
        ("/api/v1/users", own_verified),  # a role that may not: the route audits the 403
        (f"/api/v1/users/{admin.id}", own_verified),
    ]
    for path, token in full_way:
        assert await _status(fast, path, {}, token) == 599, path
    assert len(inner.paths) == len(full_way)
