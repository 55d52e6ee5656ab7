"""The OpenAPI document's promises, read directly (Schemathesis checks the behaviour in e2e):
problem+json for every error, the bearer scheme, rate-limit and database answers where they
apply, and a 405 naming every method of its path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import FreshDatabase
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
async def api(fresh_database: FreshDatabase) -> AsyncIterator[UserApi]:
    async with user_api(fresh_database("sqlite")) as built:
        yield built


@pytest.fixture
async def document(api: UserApi) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in METHODS
    }


async def test_every_error_answer_is_a_problem_document(document: dict[str, Any]) -> None:
    """No FastAPI `application/json` validation error is left anywhere."""
    for name, operation in operations(document).items():
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                assert list(answer["content"]) == ["application/problem+json"], (name, status)
    assert "HTTPValidationError" not in document.get("components", {}).get("schemas", {})


async def test_every_operation_documents_rate_limits_and_an_unavailable_database(
    document: dict[str, Any],
) -> None:
    for name, operation in operations(document).items():
        responses = operation["responses"]
        assert {"Retry-After", "RateLimit-Limit", "RateLimit-Reset"} <= set(
            responses["429"]["headers"]
        ), name
        assert "Retry-After" in responses["503"]["headers"], name


async def test_operations_with_a_body_document_400_413_and_422(document: dict[str, Any]) -> None:
    with_body = [name for name, op in operations(document).items() if "requestBody" in op]
    assert "POST /api/v1/auth/login" in with_body
    assert "PATCH /api/v1/users/{id}" in with_body
    for name in with_body:
        assert {"400", "413", "422"} <= set(operations(document)[name]["responses"]), name


async def test_authenticated_operations_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    """So /docs offers "Authorize"; login and refresh need no token."""
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from POST /api/v1/auth/login or /refresh.",
    }
    ops = operations(document)
    assert ops["GET /api/v1/users"]["security"] == [{"HTTPBearer": []}]
    assert ops["POST /api/v1/auth/mfa/enable"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in ops["POST /api/v1/auth/login"]
    assert "security" not in ops["POST /api/v1/auth/refresh"]


async def test_conflicts_and_code_limits_are_documented(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert "no active admin" in ops["PATCH /api/v1/users/{id}"]["responses"]["409"]["description"]
    assert "no active admin" in ops["DELETE /api/v1/users/{id}"]["responses"]["409"]["description"]
    for name in ("POST /api/v1/auth/mfa/enable", "POST /api/v1/auth/mfa/disable"):
        assert "wrong codes" in ops[name]["responses"]["429"]["description"], name


async def test_text_and_password_constraints_are_in_the_schemas(document: dict[str, Any]) -> None:
    ops = operations(document)
    create = ops["POST /api/v1/users"]["requestBody"]["content"]["application/json"]["schema"]
    password = create["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (12, 128)
    assert create["properties"]["email"]["pattern"] == "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
    query = {p["name"]: p for p in ops["GET /api/v1/audit-events"]["parameters"]}
    assert query["since"]["schema"]["format"] == "date-time"
    assert "pattern" in query["actor"]["schema"]["anyOf"][0]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/users", "GET, POST"),
        ("PUT", "/api/v1/users/00000000-0000-4000-8000-000000000001", "GET, PATCH, DELETE"),
        ("POST", "/api/v1/users/x/sessions", "GET, DELETE"),
        ("GET", "/api/v1/auth/login", "POST"),
    ],
)
async def test_a_405_names_every_method_of_the_path(
    api: UserApi, method: str, path: str, allow: str
) -> None:
    response = await api.client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"
