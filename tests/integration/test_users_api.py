"""User administration over HTTP on every database: the §5 access matrix cell by cell, create,
list (filters, pagination, Link), read, PATCH, soft delete, sessions and the audit log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from boundary.user.core.model import User
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = pytest.mark.anyio

SECRET_FIELDS = {"password_hash", "mfa_secret"}
SESSION_FIELDS = {"id", "created_at", "expires_at", "last_seen_at", "revoked_at", "current"}
AUDIT_FIELDS = {
    "id",
    "event_type",
    "actor",
    "actor_role",
    "email",
    "resource",
    "action",
    "result",
    "ip",
    "user_agent",
    "correlation_id",
    "details",
    "created_at",
}

# The §5 table, one row per route: the status each caller gets. The target is always another
# user with role `user`, except for `self`, where a `user` acts on their own account.
CALLERS = ("anonymous", "viewer", "user", "admin", "self")
MATRIX: dict[str, dict[str, int]] = {
    "POST /users": {"anonymous": 401, "viewer": 403, "user": 403, "admin": 201},
    "GET /users": {"anonymous": 401, "viewer": 200, "user": 403, "admin": 200},
    "GET /users/{id}": {"anonymous": 401, "viewer": 200, "user": 403, "admin": 200, "self": 200},
    "PATCH /users/{id}": {
        "anonymous": 401,
        "viewer": 403,
        "user": 403,
        "admin": 200,
        "self": 200,
    },
    "DELETE /users/{id}": {
        "anonymous": 401,
        "viewer": 403,
        "user": 403,
        "admin": 204,
        "self": 403,
    },
    "GET /users/{id}/sessions": {
        "anonymous": 401,
        "viewer": 403,
        "user": 403,
        "admin": 200,
        "self": 200,
    },
    "DELETE /users/{id}/sessions": {
        "anonymous": 401,
        "viewer": 403,
        "user": 403,
        "admin": 204,
        "self": 204,
    },
    "DELETE /users/{id}/sessions/{sid}": {
        "anonymous": 401,
        "viewer": 403,
        "user": 403,
        "admin": 204,
        "self": 204,
    },
    "GET /audit-events": {"anonymous": 401, "viewer": 403, "user": 403, "admin": 200},
}


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    async with user_api(database_url) as built:
        yield built


def unique_email(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def call(
    api: UserApi, route: str, target: uuid.UUID, headers: dict[str, str]
) -> httpx.Response:
    method, path = route.split(" ", 1)
    url = "/api/v1" + path.replace("{id}", str(target))
    if "{sid}" in url:
        owner = await api.module.users.get(target)
        url = url.replace("{sid}", str(session_id(api, await api.token_for(owner))))
    body: dict[str, Any] | None = None
    if route == "POST /users":
        body = {"email": unique_email(), "name": "New", "password": PASSWORD, "role": "user"}
    elif method == "PATCH":
        body = {"name": "Renamed"}
    return await api.client.request(method, url, json=body, headers=headers)


def session_id(api: UserApi, headers: dict[str, str]) -> uuid.UUID:
    """The session (`sid`) an Authorization header's access token belongs to."""
    token = headers["Authorization"].removeprefix("Bearer ")
    return uuid.UUID(str(api.module.deps.tokens.verify(token)["sid"]))


async def admin_headers(api: UserApi) -> tuple[User, dict[str, str]]:
    admin = await api.make_user("admin")
    return admin, await api.token_for(admin)


async def audit_rows(api: UserApi, headers: dict[str, str], **params: str) -> list[Any]:
    response = await api.client.get("/api/v1/audit-events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def link_rels(response: httpx.Response) -> set[str]:
    return {part.split('rel="')[1].rstrip('"') for part in response.headers["link"].split(", ")}


async def test_every_route_answers_every_caller_as_the_access_matrix_says(api: UserApi) -> None:
    """Each (route, caller) cell of §5: anonymous 401, the allowed roles 2xx, the rest 403."""
    got: dict[tuple[str, str], int] = {}
    for route, expected in MATRIX.items():
        for kind in CALLERS:
            if kind not in expected:
                continue
            target = await api.make_user("user")
            if kind == "anonymous":
                headers: dict[str, str] = {}
            elif kind == "self":
                headers = await api.token_for(target)
            else:
                headers = await api.token_for(await api.make_user(kind))  # type: ignore[arg-type]
            got[(route, kind)] = (await call(api, route, target.id, headers)).status_code
    wanted = {(route, kind): code for route, row in MATRIX.items() for kind, code in row.items()}
    assert got == wanted


async def test_create_answers_201_with_location_and_refuses_duplicates_and_weak_passwords(
    api: UserApi,
) -> None:
    """201 + Location to the new user; the same email in other case 409; weak password 422."""
    admin, headers = await admin_headers(api)
    email = unique_email("Create")
    body = {"email": email, "name": "Ada", "password": PASSWORD, "role": "viewer"}
    created = await api.client.post("/api/v1/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == email.lower()
    assert user["role"] == "viewer"
    assert created.headers["location"] == f"/api/v1/users/{user['id']}"
    assert not SECRET_FIELDS & set(user)
    fetched = await api.client.get(created.headers["location"], headers=headers)
    assert fetched.status_code == 200
    assert fetched.json()["id"] == user["id"]

    duplicate = {**body, "email": email.upper()}
    conflict = await api.client.post("/api/v1/users", json=duplicate, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "email already registered"

    weak = {**body, "email": unique_email(), "password": "short"}
    invalid = await api.client.post("/api/v1/users", json=weak, headers=headers)
    assert invalid.status_code == 422
    assert invalid.headers["content-type"].startswith("application/problem+json")
    assert "password" in {error["field"] for error in invalid.json()["errors"]}
    assert "short" not in invalid.text

    bad_role = await api.client.post(
        "/api/v1/users", json={**body, "email": unique_email(), "role": "root"}, headers=headers
    )
    assert bad_role.status_code == 422
    assert [e["field"] for e in bad_role.json()["errors"]] == ["role"]
    extra = await api.client.post(
        "/api/v1/users", json={**body, "email": unique_email(), "admin": True}, headers=headers
    )
    assert extra.status_code == 422
    broken = await api.client.post(
        "/api/v1/users",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert broken.status_code == 400

    rows = await audit_rows(api, headers, event_type="user_created", actor=str(admin.id))
    assert [row["resource"] for row in rows] == [f"user:{user['id']}"]
    assert rows[0]["actor_role"] == "admin"


async def test_list_filters_by_role_active_and_q_and_pages_with_link(api: UserApi) -> None:
    """role/active/q narrow the listing; totals and Link rels follow limit and offset."""
    _, headers = await admin_headers(api)
    tag = uuid.uuid4().hex[:8]
    await api.make_user("viewer", email=f"v-{tag}@example.com")
    await api.make_user("user", email=f"inactive-{tag}@example.com", active=False)
    await api.make_user("user", name=f"Named {tag.upper()}")
    await api.make_user("user", email=f"x-{tag}@example.com")
    await api.make_user("user", email=f"y-{tag}@example.com")
    await api.make_user("user", email=f"deleted-{tag}@example.com", deleted_at=datetime.now(UTC))

    async def listing(**params: Any) -> httpx.Response:
        response = await api.client.get("/api/v1/users", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response

    everyone = (await listing(q=tag)).json()
    assert everyone["total"] == 5
    assert everyone["limit"] == 20
    assert everyone["offset"] == 0
    assert all(not SECRET_FIELDS & set(item) for item in everyone["items"])
    viewers = (await listing(q=tag, role="viewer")).json()
    assert [item["email"] for item in viewers["items"]] == [f"v-{tag}@example.com"]
    inactive = (await listing(q=tag, active="false")).json()
    assert [item["email"] for item in inactive["items"]] == [f"inactive-{tag}@example.com"]
    assert (await listing(q=tag, active="true")).json()["total"] == 4
    assert (await listing(q=f"named {tag}")).json()["total"] == 1

    first = await listing(q=tag, limit=2)
    assert first.json()["total"] == 5
    assert len(first.json()["items"]) == 2
    assert link_rels(first) == {"first", "next", "last"}
    assert f"q={tag}" in first.headers["link"]
    middle = await listing(q=tag, limit=2, offset=2)
    assert link_rels(middle) == {"first", "prev", "next", "last"}
    last = await listing(q=tag, limit=2, offset=4)
    assert link_rels(last) == {"first", "prev", "last"}
    assert len(last.json()["items"]) == 1
    seen = [i["id"] for r in (first, middle, last) for i in r.json()["items"]]
    assert len(set(seen)) == 5

    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"role": "root"}):
        bad = await api.client.get("/api/v1/users", params=params, headers=headers)
        assert bad.status_code == 422, params


async def test_get_returns_the_user_without_secrets_and_404_for_missing_or_malformed_ids(
    api: UserApi,
) -> None:
    """Never password_hash or mfa_secret; an unknown, deleted or non-UUID id is 404."""
    _, headers = await admin_headers(api)
    user = await api.make_user("user", mfa_enabled=True, mfa_secret="JBSWY3DPEHPK3PXP")
    response = await api.client.get(f"/api/v1/users/{user.id}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["mfa_enabled"] is True
    assert not SECRET_FIELDS & set(body)
    assert "JBSWY3DPEHPK3PXP" not in response.text
    assert user.password_hash not in response.text
    for path in (str(uuid.uuid4()), "not-a-uuid"):
        missing = await api.client.get(f"/api/v1/users/{path}", headers=headers)
        assert missing.status_code == 404, path


async def test_a_trailing_slash_is_a_404_problem_not_a_redirect(api: UserApi) -> None:
    """Starlette would redirect to a URL built from the client's Host header."""
    _, headers = await admin_headers(api)
    response = await api.client.get("/api/v1/users/", headers={**headers, "host": "evil.example"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "location" not in response.headers


async def test_patch_by_self_may_rename_but_not_change_role(api: UserApi) -> None:
    """Self PATCH name 200; self PATCH role 403 (not 422) and audited as access_denied."""
    _, admin = await admin_headers(api)
    user = await api.make_user("user")
    own = await api.token_for(user)
    url = f"/api/v1/users/{user.id}"
    renamed = await api.client.patch(url, json={"name": "  New Name "}, headers=own)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "New Name"
    assert renamed.json()["role"] == "user"

    for body in ({"role": "admin"}, {"role": 42}, {"name": "x", "active": True}):
        denied = await api.client.patch(url, json=body, headers=own)
        assert denied.status_code == 403, body
    assert (await api.client.get(url, headers=own)).json()["role"] == "user"
    rows = await audit_rows(api, admin, event_type="access_denied", actor=str(user.id))
    assert len(rows) == 3
    assert {row["action"] for row in rows} == {"users.update"}
    assert rows[-1]["details"] == {"reason": "forbidden", "fields": ["role"]}
    assert rows[-1]["result"] == "denied"

    assert (await api.client.patch(url, json={"name": ""}, headers=own)).status_code == 422
    assert (await api.client.patch(url, json=["name"], headers=own)).status_code == 422
    assert (await api.client.patch(url, json={}, headers=own)).status_code == 422
    broken = await api.client.patch(
        url, content=b"{", headers={**own, "content-type": "application/json"}
    )
    assert broken.status_code == 400
    password = await api.client.patch(url, json={"password": PASSWORD}, headers=admin)
    assert password.status_code == 422
    assert password.json()["errors"][0]["field"] == "password"
    gone = await api.client.patch(
        f"/api/v1/users/{uuid.uuid4()}", json={"name": "x"}, headers=admin
    )
    assert gone.status_code == 404


async def test_deactivation_ends_the_users_sessions_and_login(api: UserApi) -> None:
    """PATCH {"active": false} by an admin: the user's token is 401 next request, no login."""
    admin_user, admin = await admin_headers(api)
    user = await api.make_user("user")
    own = await api.token_for(user)
    assert (await api.client.get(f"/api/v1/users/{user.id}", headers=own)).status_code == 200
    assert (await api.login(user.email)).status_code == 200
    patched = await api.client.patch(
        f"/api/v1/users/{user.id}", json={"active": False}, headers=admin
    )
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    assert (await api.client.get(f"/api/v1/users/{user.id}", headers=own)).status_code == 401
    assert (await api.login(user.email)).status_code == 401
    sessions = await api.client.get(f"/api/v1/users/{user.id}/sessions", headers=admin)
    assert all(item["revoked_at"] is not None for item in sessions.json()["items"])
    rows = await audit_rows(api, admin, event_type="user_updated", actor=str(admin_user.id))
    assert rows[0]["details"] == {"fields": ["active"], "active": {"from": True, "to": False}}

    again = await api.client.patch(f"/api/v1/users/{user.id}", json={"active": True}, headers=admin)
    assert again.status_code == 200
    assert again.json()["active"] is True
    # Reactivation does not revive the sessions revoked by the deactivation.
    assert (await api.client.get(f"/api/v1/users/{user.id}", headers=own)).status_code == 401
    assert (await api.login(user.email)).status_code == 200


async def test_role_downgrade_ends_the_old_token(api: UserApi) -> None:
    """An admin demoted to viewer: their token (role admin) is refused on the next request."""
    _, admin = await admin_headers(api)
    other = await api.make_user("admin")
    old = await api.token_for(other)
    assert (await api.client.get("/api/v1/audit-events", headers=old)).status_code == 200
    patched = await api.client.patch(
        f"/api/v1/users/{other.id}", json={"role": "viewer"}, headers=admin
    )
    assert patched.status_code == 200
    assert patched.json()["role"] == "viewer"
    assert (await api.client.get("/api/v1/users", headers=old)).status_code == 401


async def test_delete_soft_deletes_revokes_sessions_and_hides_the_user(api: UserApi) -> None:
    """DELETE 204; then GET 404, the token 401, not listed; the row stays (email still taken)."""
    admin_user, admin = await admin_headers(api)
    user = await api.make_user("user")
    own = await api.token_for(user)
    url = f"/api/v1/users/{user.id}"
    deleted = await api.client.delete(url, headers=admin)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await api.client.get(url, headers=admin)).status_code == 404
    assert (await api.client.get(url, headers=own)).status_code == 401
    assert (await api.client.delete(url, headers=admin)).status_code == 404
    assert (await api.client.patch(url, json={"name": "x"}, headers=admin)).status_code == 404
    assert (await api.client.get(f"{url}/sessions", headers=admin)).status_code == 404
    listed = await api.client.get("/api/v1/users", params={"q": user.email}, headers=admin)
    assert listed.json()["total"] == 0
    again = {"email": user.email, "name": "Again", "password": PASSWORD, "role": "user"}
    assert (await api.client.post("/api/v1/users", json=again, headers=admin)).status_code == 409
    assert (await api.login(user.email)).status_code == 401
    rows = await audit_rows(api, admin, event_type="user_deleted", actor=str(admin_user.id))
    assert rows[0]["resource"] == f"user:{user.id}"
    assert rows[0]["details"] == {"sessions_revoked": 1}

    own_delete = await api.client.delete(f"/api/v1/users/{admin_user.id}", headers=admin)
    assert own_delete.status_code == 409
    assert (await api.client.delete("/api/v1/users/nope", headers=admin)).status_code == 404


async def test_sessions_list_and_revoke_for_self_and_admin(api: UserApi) -> None:
    """Self and admin list and revoke a user's sessions; another user is 403."""
    _, admin = await admin_headers(api)
    user = await api.make_user("user")
    first = await api.token_for(user)
    second = await api.token_for(user)
    url = f"/api/v1/users/{user.id}/sessions"
    listed = await api.client.get(url, headers=first)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert body["limit"] == 20
    assert body["offset"] == 0
    assert set(body["items"][0]) >= SESSION_FIELDS
    assert "token_hash" not in body["items"][0]
    paged = await api.client.get(url, params={"limit": 1}, headers=admin)
    assert len(paged.json()["items"]) == 1
    assert link_rels(paged) == {"first", "next", "last"}

    stranger = await api.token_for(await api.make_user("user"))
    assert (await api.client.get(url, headers=stranger)).status_code == 403
    assert (await api.client.delete(url, headers=stranger)).status_code == 403

    assert (await api.client.delete(url, headers=first)).status_code == 204
    assert (await api.client.get(url, headers=first)).status_code == 401
    assert (await api.client.get(url, headers=second)).status_code == 401
    third = await api.token_for(user)
    assert (await api.client.delete(url, headers=admin)).status_code == 204
    assert (await api.client.get(url, headers=third)).status_code == 401
    items = (await api.client.get(url, headers=admin)).json()["items"]
    assert len(items) == 3
    assert all(item["revoked_at"] for item in items)
    rows = await audit_rows(api, admin, event_type="session_revoked")
    assert [row["details"]["sessions_revoked"] for row in rows[:2]] == [1, 2]


async def test_a_session_list_marks_the_callers_own_session_current(api: UserApi) -> None:
    """`current` is true for the session of the caller's token only; an admin listing someone
    else's sessions sees none marked."""
    _, admin = await admin_headers(api)
    user = await api.make_user("user")
    first = await api.token_for(user)
    second = await api.token_for(user)
    url = f"/api/v1/users/{user.id}/sessions"

    for headers in (first, second):
        items = (await api.client.get(url, headers=headers)).json()["items"]
        assert {item["id"]: item["current"] for item in items} == {
            str(session_id(api, first)): headers is first,
            str(session_id(api, second)): headers is second,
        }
    by_admin = (await api.client.get(url, headers=admin)).json()["items"]
    assert [item["current"] for item in by_admin] == [False, False]


async def test_one_session_is_revoked_by_self_or_admin_and_audited(api: UserApi) -> None:
    """DELETE …/sessions/{sid}: 204, that session ends on its next request, the others live;
    a session of another user, an unknown or malformed sid is 404; a stranger is 403."""
    admin_user, admin = await admin_headers(api)
    user = await api.make_user("user")
    other = await api.make_user("user")
    first = await api.token_for(user)
    second = await api.token_for(user)
    third = await api.token_for(user)
    theirs = await api.token_for(other)
    base = f"/api/v1/users/{user.id}/sessions"
    me = f"/api/v1/users/{user.id}"

    by_self = await api.client.delete(f"{base}/{session_id(api, second)}", headers=first)
    assert by_self.status_code == 204
    assert by_self.content == b""
    assert (await api.client.get(me, headers=second)).status_code == 401
    assert (await api.client.get(me, headers=first)).status_code == 200
    assert (await api.client.get(me, headers=third)).status_code == 200

    by_admin = await api.client.delete(f"{base}/{session_id(api, third)}", headers=admin)
    assert by_admin.status_code == 204
    assert (await api.client.get(me, headers=third)).status_code == 401
    assert (await api.client.get(me, headers=first)).status_code == 200

    # Revoking it again changes nothing and audits nothing more.
    again = await api.client.delete(f"{base}/{session_id(api, third)}", headers=admin)
    assert again.status_code == 204

    for sid in (str(session_id(api, theirs)), str(uuid.uuid4()), "not-a-uuid"):
        missing = await api.client.delete(f"{base}/{sid}", headers=admin)
        assert missing.status_code == 404, sid
        assert missing.headers["content-type"] == "application/problem+json"
    assert (await api.client.get(f"/api/v1/users/{other.id}", headers=theirs)).status_code == 200
    stranger = await api.token_for(await api.make_user("user"))
    denied = await api.client.delete(f"{base}/{session_id(api, first)}", headers=stranger)
    assert denied.status_code == 403
    gone_user = await api.client.delete(
        f"/api/v1/users/{uuid.uuid4()}/sessions/{session_id(api, first)}", headers=admin
    )
    assert gone_user.status_code == 404

    rows = await audit_rows(api, admin, event_type="session_revoked")
    assert [(row["actor"], row["resource"], row["details"]) for row in rows] == [
        (str(admin_user.id), f"session:{session_id(api, third)}", {"sessions_revoked": 1}),
        (str(user.id), f"session:{session_id(api, second)}", {"sessions_revoked": 1}),
    ]
    assert all(row["email"] == user.email for row in rows)
    listed = (await api.client.get(base, headers=admin)).json()["items"]
    revoked = {item["id"] for item in listed if item["revoked_at"]}
    assert revoked == {str(session_id(api, second)), str(session_id(api, third))}


async def test_an_admin_changes_an_email_unverifying_it_and_a_taken_one_is_409(
    api: UserApi,
) -> None:
    """PATCH {"email"} by an admin: normalised, `email_verified` false again, login with the
    new address, audited with the field name; a taken address (any case) 409; the user
    themselves may not (403); a malformed one 422."""
    admin_user, admin = await admin_headers(api)
    verified = datetime.now(UTC)
    user = await api.make_user("user", email="before@example.com", email_verified_at=verified)
    taken = await api.make_user("user", email="taken@example.com")
    url = f"/api/v1/users/{user.id}"
    assert (await api.client.get(url, headers=admin)).json()["email_verified"] is True

    changed = await api.client.patch(url, json={"email": " After@Example.COM "}, headers=admin)

    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "after@example.com"
    assert changed.json()["email_verified"] is False
    assert (await api.client.get(url, headers=admin)).json()["email_verified"] is False
    assert (await api.login("after@example.com")).status_code == 200
    assert (await api.login("before@example.com")).status_code == 401
    [row] = await audit_rows(api, admin, event_type="user_updated", actor=str(admin_user.id))
    assert row["details"] == {"fields": ["email"]}
    assert row["email"] == "after@example.com"
    assert row["resource"] == f"user:{user.id}"
    assert "before@example.com" not in str(row["details"])

    conflict = await api.client.patch(url, json={"email": "TAKEN@example.com"}, headers=admin)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["detail"] == "email already registered"
    assert (await api.client.get(url, headers=admin)).json()["email"] == "after@example.com"
    assert (await api.client.get(f"/api/v1/users/{taken.id}", headers=admin)).json()[
        "email"
    ] == "taken@example.com"

    bad = await api.client.patch(url, json={"email": "no at sign"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "email"

    own = await api.token_for(user)
    by_self = await api.client.patch(url, json={"email": "mine@example.com"}, headers=own)
    assert by_self.status_code == 403
    assert (await api.client.patch(url, json={"name": "Me"}, headers=own)).status_code == 200
    assert len(await audit_rows(api, admin, event_type="user_updated")) == 2


async def test_audit_log_filters_and_is_newest_first(api: UserApi) -> None:
    """Admin only; event_type, actor and since filter; newest first; a bad since is 422."""
    admin_user, admin = await admin_headers(api)
    for name in ("one", "two", "three"):
        body = {"email": unique_email(name), "name": name, "password": PASSWORD, "role": "user"}
        assert (await api.client.post("/api/v1/users", json=body, headers=admin)).status_code == 201
    rows = await audit_rows(api, admin, actor=str(admin_user.id))
    assert [row["event_type"] for row in rows] == ["user_created"] * 3
    assert [row["email"].split("-")[0] for row in rows] == ["three", "two", "one"]
    assert set(rows[0]) == AUDIT_FIELDS
    stamps = [row["created_at"] for row in rows]
    assert stamps == sorted(stamps, reverse=True)

    created = await audit_rows(api, admin, event_type="user_created")
    assert len(created) == 3
    assert await audit_rows(api, admin, event_type="logout") == []
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert await audit_rows(api, admin, since=future) == []
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(await audit_rows(api, admin, since=past, actor=str(admin_user.id))) == 3
    bad = await api.client.get("/api/v1/audit-events", params={"since": "yesterday"}, headers=admin)
    assert bad.status_code == 422
    page = await api.client.get("/api/v1/audit-events", params={"limit": 2}, headers=admin)
    assert page.json()["total"] == 3
    assert len(page.json()["items"]) == 2

    viewer = await api.make_user("viewer")
    denied = await api.client.get("/api/v1/audit-events", headers=await api.token_for(viewer))
    assert denied.status_code == 403
    rows = await audit_rows(api, admin, event_type="access_denied", actor=str(viewer.id))
    assert len(rows) == 1
    assert rows[0]["action"] == "audit.list"
    assert rows[0]["actor_role"] == "viewer"
