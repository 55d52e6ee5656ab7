"""Text inputs and passwords over HTTP on every database: control characters are a 422 naming
the field (NUL was a 500 on PostgreSQL), a login with one is still audited, weak passwords
are refused with a reason, and `since` takes ISO-8601 date-times only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from boundary.user.core.model import User
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = pytest.mark.anyio

CONTROL = "must not contain control characters"
WEAK_PASSWORDS = (
    "aaaaaaaaaaaa",
    "123456789012",
    "qwertyuiopas",
    " " * 12,
    "passwordpassword",
    "Summer2024!!",
)
STRONG_PASSWORDS = ("correct horse battery staple", "Tr4vel-by-Zeppelin-at-dawn", "kX9#vL2!qP7zR4")


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    async with user_api(database_url) as built:
        yield built


async def admin_headers(api: UserApi) -> tuple[User, dict[str, str]]:
    admin = await api.make_user("admin")
    return admin, await api.token_for(admin)


def unique_email() -> str:
    return f"u-{uuid.uuid4().hex[:10]}@example.com"


def errors_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {error["field"]: error["message"] for error in response.json()["errors"]}


async def audit_rows(api: UserApi, headers: dict[str, str], **params: str) -> list[Any]:
    response = await api.client.get("/api/v1/audit-events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


# --- control characters ------------------------------------------------------------------------


async def test_a_nul_in_the_login_email_is_422_and_the_attempt_is_audited(api: UserApi) -> None:
    """The email is recorded with the NUL made visible; nothing raw reaches the database."""
    _, headers = await admin_headers(api)
    response = await api.login("nobody\x00@x.test", "any password at all")
    assert errors_of(response) == {"email": CONTROL}
    rows = await audit_rows(api, headers, event_type="login_failed")
    assert [(row["email"], row["details"]["reason"]) for row in rows] == [
        ("nobody\\u0000@x.test", "invalid_input")
    ]
    assert rows[0]["result"] == "failure"


async def test_a_control_character_in_a_login_password_is_audited_against_the_account(
    api: UserApi,
) -> None:
    """A valid email with a bad password field still leaves a row naming that account."""
    _, headers = await admin_headers(api)
    user = await api.make_user(email="ctl-login@example.com")
    response = await api.login("ctl-login@example.com", "line\nbreak password")
    assert errors_of(response) == {"password": CONTROL}
    rows = await audit_rows(api, headers, event_type="login_failed", actor=str(user.id))
    assert [row["details"]["reason"] for row in rows] == ["invalid_input"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/users?q=%00", "q"),
        ("/api/v1/users?q=a%0Ab", "q"),
        ("/api/v1/audit-events?actor=a%00b", "actor"),
        ("/api/v1/audit-events?event_type=a%00b", "event_type"),
        ("/api/v1/audit-events?since=2026-01-03T12:00:00Z%00", "since"),
    ],
)
async def test_control_characters_in_query_parameters_are_422(
    api: UserApi, path: str, field: str
) -> None:
    _, headers = await admin_headers(api)
    response = await api.client.get(path, headers=headers)
    assert errors_of(response) == {field: CONTROL}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "nul\x00@example.com"),
        ("name", "Ada\x00Lovelace"),
        ("password", "correct horse\x00battery staple"),
        ("role", "user\x00"),
        ("email", "tab\t@example.com"),
        ("name", "\x85Ada"),
    ],
)
async def test_control_characters_in_a_new_user_are_422(
    api: UserApi, field: str, value: str
) -> None:
    _, headers = await admin_headers(api)
    body = {"email": unique_email(), "name": "Ada", "password": PASSWORD, "role": "user"}
    response = await api.client.post("/api/v1/users", json={**body, field: value}, headers=headers)
    assert errors_of(response) == {field: CONTROL}


async def test_a_lone_surrogate_is_422_not_a_database_error(api: UserApi) -> None:
    """JSON can spell a surrogate alone; it has no UTF-8 form for any driver to send."""
    _, headers = await admin_headers(api)
    raw = b'{"email": "a\\ud800@example.com", "name": "Ada", "password": "x", "role": "user"}'
    response = await api.client.post(
        "/api/v1/users", content=raw, headers={**headers, "content-type": "application/json"}
    )
    assert errors_of(response)["email"] == CONTROL
    response = await api.client.post(
        "/api/v1/auth/login",
        content=b'{"email": "\\udfff@x.test", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert set(errors_of(response)) == {"email"}  # pydantic's own "not a unicode string"


async def test_control_characters_in_other_bodies_are_422(api: UserApi) -> None:
    """PATCH, password change, refresh and MFA codes refuse them too."""
    user = await api.make_user()
    headers = await api.token_for(user)
    patch = await api.client.patch(
        f"/api/v1/users/{user.id}", json={"name": "Ada\x00"}, headers=headers
    )
    assert errors_of(patch) == {"name": CONTROL}
    change = await api.client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "new\x00password for me"},
        headers=headers,
    )
    assert errors_of(change) == {"new_password": CONTROL}
    refresh = await api.client.post("/api/v1/auth/refresh", json={"session_token": "a\x00"})
    assert errors_of(refresh) == {"session_token": CONTROL}
    code = await api.client.post(
        "/api/v1/auth/mfa/enable", json={"code": "12\x0034"}, headers=headers
    )
    assert errors_of(code) == {"code": CONTROL}


# --- password strength -------------------------------------------------------------------------


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
async def test_weak_passwords_are_refused_with_a_reason(api: UserApi, password: str) -> None:
    """On create and on change, with words a user understands."""
    _, admin = await admin_headers(api)
    body = {"email": unique_email(), "name": "Ada", "password": password, "role": "user"}
    created = await api.client.post("/api/v1/users", json=body, headers=admin)
    reason = errors_of(created)["password"]
    assert "easy to guess" in reason or "common" in reason
    user = await api.make_user()
    change = await api.client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": password},
        headers=await api.token_for(user),
    )
    reason = errors_of(change)["new_password"]
    assert "easy to guess" in reason or "common" in reason


async def test_strong_passwords_pass(api: UserApi) -> None:
    _, admin = await admin_headers(api)
    for password in STRONG_PASSWORDS:
        body = {"email": unique_email(), "name": "Ada", "password": password, "role": "user"}
        created = await api.client.post("/api/v1/users", json=body, headers=admin)
        assert created.status_code == 201, created.text


async def test_a_password_made_of_the_users_name_is_weak(api: UserApi) -> None:
    """The email and name are inputs to the estimate."""
    _, admin = await admin_headers(api)
    body = {
        "email": "zebulon.quartermaine@example.com",
        "name": "Zebulon Quartermaine",
        "password": "quartermaine",
        "role": "user",
    }
    created = await api.client.post("/api/v1/users", json=body, headers=admin)
    assert "easy to guess" in errors_of(created)["password"]


# --- since ----------------------------------------------------------------------------------


@pytest.mark.parametrize("since", ["0.5", "1700000000", "2026-01-03", "2026-13-01T00:00:00Z"])
async def test_since_takes_only_iso_8601_date_times(api: UserApi, since: str) -> None:
    _, headers = await admin_headers(api)
    response = await api.client.get(
        "/api/v1/audit-events", params={"since": since}, headers=headers
    )
    assert "ISO-8601" in errors_of(response)["since"]


@pytest.mark.parametrize(
    "since", ["2026-01-03T12:00:00Z", "2026-01-03T12:00:00.5+05:30", "0001-01-01T00:00:00Z"]
)
async def test_since_accepts_date_times_on_every_database(api: UserApi, since: str) -> None:
    _, headers = await admin_headers(api)
    response = await api.client.get(
        "/api/v1/audit-events", params={"since": since}, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_since_out_of_range_after_conversion_to_utc_is_422(api: UserApi) -> None:
    _, headers = await admin_headers(api)
    params = {"since": "0001-01-01T00:00:00+05:00"}
    response = await api.client.get("/api/v1/audit-events", params=params, headers=headers)
    assert errors_of(response) == {"since": "is out of range"}
