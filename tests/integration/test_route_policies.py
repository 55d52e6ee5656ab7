"""No route is open by accident: every `/api/v1/` route of the real app answers an anonymous
caller 401, except the public ones (login, refresh, and the mailed-link flows: reset request and
confirm, email confirm), and every `Action` has a row in `POLICIES`.

The routes are read from the app itself, so a route added later without authentication fails
here without anyone having to list it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from boundary.http.app import create_api_app
from boundary.user.core.permissions import POLICIES, Action
from tests.conftest import FreshDatabase
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio

API_PREFIX = "/api/v1/"
TEST_ONLY_PREFIX = "/api/v1/_test/"
PUBLIC = frozenset(
    {
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
        ("POST", "/api/v1/auth/password-reset"),
        ("POST", "/api/v1/auth/password-reset/confirm"),
        ("POST", "/api/v1/auth/verify-email/confirm"),
    }
)
PUBLIC_ACTIONS = frozenset(
    {
        Action.AUTH_LOGIN,
        Action.AUTH_REFRESH,
        Action.AUTH_PASSWORD_RESET,
        Action.AUTH_PASSWORD_RESET_CONFIRM,
        Action.AUTH_VERIFY_EMAIL_CONFIRM,
    }
)
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
PATH_PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture
def sqlite_url(fresh_database: FreshDatabase) -> str:
    return fresh_database("sqlite")


@pytest.fixture
async def api(sqlite_url: str) -> AsyncIterator[UserApi]:
    """Anonymous requests never reach the database, so SQLite alone is enough here."""
    async with user_api(sqlite_url) as built:
        yield built


def fastapi_app(asgi: Any) -> Any:
    """The FastAPI app under the HTTP edge middleware (each layer keeps the next as `.app`)."""
    while not hasattr(asgi, "routes"):
        asgi = asgi.app
    return asgi


def route_entries(app: Any) -> Iterator[Any]:
    """Every route, with routers included by FastAPI's lazy `include_router` flattened."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy inclusion: `app.routes` is already flat
        yield from app.routes
    else:
        yield from iter_route_contexts(app.routes)


def api_routes(api: UserApi) -> list[tuple[str, str]]:
    """(method, path template) of every `/api/v1/` route except the ENV=test helpers."""
    found: set[tuple[str, str]] = set()
    for route in route_entries(fastapi_app(create_api_app(api.system))):
        path = getattr(route, "path", None)
        if not isinstance(path, str) or not path.startswith(API_PREFIX):
            continue
        if path.startswith(TEST_ONLY_PREFIX):
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, path))
    return sorted(found)


async def test_every_api_route_refuses_anonymous_callers_except_the_public_ones(
    api: UserApi,
) -> None:
    routes = api_routes(api)
    # The discovery itself must work, or this test would pass vacuously.
    assert set(routes) >= PUBLIC
    assert ("GET", "/api/v1/auth/me") in routes
    assert ("DELETE", "/api/v1/users/{id}") in routes
    console_only = {Action.SESSIONS_LIST_LIVE, Action.CONSOLE_SIGN_IN, Action.CONSOLE_ACT}
    assert len(routes) >= len(set(Action) - console_only)

    got: dict[tuple[str, str], int] = {}
    for method, template in routes:
        url = PATH_PARAMETER.sub(str(uuid.uuid4()), template)
        body: dict[str, Any] | None = {} if method in WITH_BODY else None
        response = await api.client.request(method, url, json=body)
        got[(method, template)] = response.status_code
        if (method, template) not in PUBLIC and response.status_code == 401:
            assert response.headers["www-authenticate"].lower().startswith("bearer")
            assert response.headers["content-type"].startswith("application/problem+json")

    expected = {route: 401 for route in routes if route not in PUBLIC}
    assert {route: code for route, code in got.items() if route not in PUBLIC} == expected
    # The public ones are reachable anonymously: `{}` is invalid input, not a missing token.
    assert {route: got[route] for route in PUBLIC} == dict.fromkeys(PUBLIC, 422)


def test_every_action_has_a_policy() -> None:
    assert set(POLICIES) == set(Action)


def test_only_the_public_actions_are_open_to_anyone() -> None:
    assert {action for action, policy in POLICIES.items() if policy.anyone} == PUBLIC_ACTIONS


async def test_the_service_mounts_only_the_error_route_of_the_test_helpers(api: UserApi) -> None:
    """ENV=test adds `/api/v1/_test/error` (a forced 500) and nothing else: the routes that
    hold requests, block the loop or hold connections belong to the test suite
    (`tests/support/test_routes.py`), so a service run with ENV=test cannot be stalled."""
    mounted = {
        path
        for route in route_entries(fastapi_app(create_api_app(api.system)))
        if isinstance(path := getattr(route, "path", None), str)
        and path.startswith(TEST_ONLY_PREFIX)
    }
    assert mounted == {"/api/v1/_test/error"}
    assert (await api.client.get("/api/v1/_test/error")).status_code == 500
    assert (await api.client.get("/api/v1/_test/block?seconds=0")).status_code == 404
