"""The operator's `boundary users` commands as an operator runs them, against a real, migrated
PostgreSQL database: what each prints, what it changes (seen through the API), the audit row it
leaves (actor `cli`), and the one-line failures (an unknown USER exit 1, usage exit 2)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boundary.user.core.erasure import pseudonym
from boundary.user.core.model import AuditFilter
from tests.conftest import FreshDatabase
from tests.support.process import ROOT, base_env, boundary_cmd, run_cli
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

OTHER_PASSWORD = "purple elephants juggle quietly"


def users(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("users", *args, env={"DATABASE_URL": url}, stdin=stdin)


@pytest.fixture
def migrated(fresh_database: FreshDatabase) -> str:
    url = fresh_database("postgresql")
    result = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return url


def email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.com"


def ok(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("boundary")
    return lines[0]


async def cli_rows(api: UserApi, event_type: str) -> list[Any]:
    """The audit rows of `event_type` the CLI left (actor `cli`, no role)."""
    async with api.module.deps.readers() as read:
        page = await read.audit.search(
            AuditFilter(event_type=event_type, actor="cli"), limit=100, offset=0
        )
    assert all(row.actor_role is None for row in page.items)
    return list(page.items)


async def test_list_filters_and_json(migrated: str) -> None:
    """One tab-separated line per live user (deleted ones never); --role, --active and --q
    filter as the API does; --json is one list of the API's user objects."""
    async with user_api(migrated) as api:
        admin = await api.make_user("admin", email=email("admin"), name="Ada Admin")
        viewer = await api.make_user("viewer", email=email("viewer"), name="Vic Viewer")
        idle = await api.make_user("user", email=email("idle"), active=False)
        locked = await api.make_user(
            "user", failed_login_count=5, lockout_until=datetime.now(UTC) + timedelta(hours=1)
        )
        gone = await api.make_user("user", deleted_at=datetime.now(UTC), active=False)
    lines = ok(users(migrated, "list"))
    assert lines == [
        f"{admin.id}\t{admin.email}\tadmin\tactive\tAda Admin",
        f"{viewer.id}\t{viewer.email}\tviewer\tactive\tVic Viewer",
        f"{idle.id}\t{idle.email}\tuser\tinactive\tTest User",
        f"{locked.id}\t{locked.email}\tuser\tlocked\tTest User",
    ]
    assert str(gone.id) not in "\n".join(lines)
    assert [line.split("\t")[0] for line in ok(users(migrated, "list", "--role", "viewer"))] == [
        str(viewer.id)
    ]
    inactive = ok(users(migrated, "list", "--active", "false"))
    assert [line.split("\t")[0] for line in inactive] == [str(idle.id)]
    found = ok(users(migrated, "list", "--q", "VIC VIEW", "--json"))
    assert len(found) == 1
    (item,) = json.loads(found[0])
    assert item["id"] == str(viewer.id)
    assert item["email"] == viewer.email
    assert {"password_hash", "mfa_secret"}.isdisjoint(item)
    assert (
        json.loads(
            ok(users(migrated, "list", "--role", "viewer", "--active", "false", "--json"))[0]
        )
        == []
    )
    bad = users(migrated, "list", "--active", "maybe")
    assert "--active" in one_error_line(bad, 2)


async def test_show_by_email_in_any_case_or_by_id(migrated: str) -> None:
    """`key: value` lines, or one JSON object with the lockout state; never a secret."""
    async with user_api(migrated) as api:
        user = await api.make_user("user", email=email(), failed_login_count=2)
    lines = ok(users(migrated, "show", user.email.upper()))
    assert f"id: {user.id}" in lines
    assert f"email: {user.email}" in lines
    assert "failed_login_count: 2" in lines
    assert "lockout_until:" in lines
    assert "hash" not in result_text(lines)
    assert "argon2" not in result_text(lines)
    shown = json.loads(ok(users(migrated, "show", str(user.id), "--json"))[0])
    assert (shown["id"], shown["email"], shown["role"]) == (str(user.id), user.email, "user")
    assert (shown["failed_login_count"], shown["lockout_until"]) == (2, None)
    assert {"password_hash", "mfa_secret"}.isdisjoint(shown)


def result_text(lines: list[str]) -> str:
    return "\n".join(lines)


async def test_set_password_generated_or_from_stdin_revokes_sessions(migrated: str) -> None:
    """Generated: printed once, alone on the last stdout line, and it signs in; the old
    password and every session stop working; `password_changed` by `cli`. From stdin: that
    password; a weak one is exit 2 and changes nothing."""
    async with user_api(migrated) as api:
        user = await api.make_user("user", email=email())
        token = await api.token_for(user)
    result = users(migrated, "set-password", user.email)
    lines = ok(result)
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith(f"password set: {user.id} {user.email}")
    generated = lines[1]
    assert " " not in generated
    assert len(generated) >= 12
    assert generated not in result.stderr
    assert "shown once" in result.stderr
    weak = users(migrated, "set-password", user.email, "--password-stdin", stdin="short\n")
    assert "password" in one_error_line(weak, 2)
    async with user_api(migrated) as api:
        assert (await api.client.get("/api/v1/auth/me", headers=token)).status_code == 401
        assert (await api.login(user.email, PASSWORD)).status_code == 401
        assert (await api.login(user.email, generated)).status_code == 200
    piped = users(
        migrated, "set-password", user.email, "--password-stdin", stdin=OTHER_PASSWORD + "\n"
    )
    assert ok(piped) == [f"password set: {user.id} {user.email} (sessions revoked)"]
    assert OTHER_PASSWORD not in piped.stdout + piped.stderr
    async with user_api(migrated) as api:
        assert (await api.login(user.email, OTHER_PASSWORD)).status_code == 200
        rows = await cli_rows(api, "password_changed")
    assert [(row.resource, row.email) for row in rows] == [(f"user:{user.id}", user.email)] * 2
    assert rows[1].details == {"sessions_revoked": 1}  # the first: the session of `token`


async def test_unlock_ends_a_lockout(migrated: str) -> None:
    """A locked account refuses even the right password; after `unlock` it signs in, and the
    row says who unlocked it; a second unlock has nothing to clear and writes nothing."""
    async with user_api(migrated) as api:
        user = await api.make_user(
            "user",
            email=email(),
            failed_login_count=10,
            lockout_until=datetime.now(UTC) + timedelta(hours=1),
        )
        assert (await api.login(user.email)).status_code == 401
    assert ok(users(migrated, "unlock", user.email)) == [f"unlocked: {user.id} {user.email}"]
    again = ok(users(migrated, "unlock", str(user.id)))
    assert again == [f"not locked (nothing to clear): {user.id} {user.email}"]
    async with user_api(migrated) as api:
        assert (await api.login(user.email)).status_code == 200
        rows = await cli_rows(api, "account_unlocked")
    assert len(rows) == 1
    assert rows[0].resource == f"user:{user.id}"
    assert rows[0].details["failed_login_count"] == 10  # a locked account counts no further


async def test_deactivate_and_activate_as_patch_active(migrated: str) -> None:
    """Deactivate: no sign-in, sessions end, `user_updated` by `cli` with active true→false;
    activate: signs in again. The last active admin is refused, exit 1, one line."""
    async with user_api(migrated) as api:
        only_admin = await api.make_user("admin", email=email("admin"))
        user = await api.make_user("user", email=email())
        token = await api.token_for(user)
    assert ok(users(migrated, "deactivate", user.email)) == [f"deactivated: {user.id} {user.email}"]
    async with user_api(migrated) as api:
        assert (await api.client.get("/api/v1/auth/me", headers=token)).status_code == 401
        assert (await api.login(user.email)).status_code == 401
    assert ok(users(migrated, "activate", user.email)) == [f"activated: {user.id} {user.email}"]
    refused = users(migrated, "deactivate", only_admin.email)
    assert "no active admin" in one_error_line(refused, 1)
    assert refused.stdout == ""
    async with user_api(migrated) as api:
        assert (await api.login(user.email)).status_code == 200
        assert (await api.login(only_admin.email)).status_code == 200
        rows = await cli_rows(api, "user_updated")
    assert [row.details["active"] for row in rows] == [
        {"from": False, "to": True},
        {"from": True, "to": False},
    ]


async def test_revoke_sessions_ends_every_live_session(migrated: str) -> None:
    async with user_api(migrated) as api:
        user = await api.make_user("user", email=email())
        tokens = [await api.token_for(user) for _ in range(2)]
    assert ok(users(migrated, "revoke-sessions", user.email)) == [
        f"sessions revoked: 2 ({user.id} {user.email})"
    ]
    async with user_api(migrated) as api:
        for token in tokens:
            assert (await api.client.get("/api/v1/auth/me", headers=token)).status_code == 401
        rows = await cli_rows(api, "session_revoked")
    assert [(row.resource, row.details) for row in rows] == [
        (f"user:{user.id}", {"sessions_revoked": 2})
    ]


async def test_erase_frees_the_email_and_keeps_audit_rows_under_a_pseudonym(
    migrated: str,
) -> None:
    """Without --yes (no terminal): exit 2, nothing erased. With --yes: the account is gone,
    its audit rows carry the pseudonym, `user_erased` by `cli`, and the email registers again.
    A second erase is exit 1; the last active admin is refused."""
    async with user_api(migrated) as api:
        only_admin = await api.make_user("admin", email=email("admin"))
        user = await api.make_user("user", email=email("erase"), name="Erin Erasable")
        await api.token_for(user)
        assert (await api.login(user.email, "not the password")).status_code == 401
    refused = users(migrated, "erase", user.email)
    assert "--yes" in one_error_line(refused, 2)
    assert ok(users(migrated, "show", user.email))
    result = users(migrated, "erase", user.email.upper(), "--yes")
    assert ok(result) == [f"erased: {user.id} {user.email} (now {pseudonym(user.id)})"]
    assert "no such user" in one_error_line(users(migrated, "erase", str(user.id), "--yes"), 1)
    assert "no such user" in one_error_line(users(migrated, "show", user.email), 1)
    last = users(migrated, "erase", only_admin.email, "--yes")
    assert "no active admin" in one_error_line(last, 1)
    async with user_api(migrated) as api:
        async with api.module.deps.readers() as read:
            rows = (await read.audit.search(AuditFilter(), limit=100, offset=0)).items
        assert not [row for row in rows if user.email in repr(row) or "Erin" in repr(row)]
        mine = [row for row in rows if row.resource == f"user:{user.id}"]
        assert {row.event_type for row in mine} == {"login_failed", "user_erased"}
        assert {row.email for row in mine} == {pseudonym(user.id)}
        (erased,) = await cli_rows(api, "user_erased")
        assert erased.details == {"sessions_revoked": 1}
        headers = await api.token_for(only_admin)
        again = {"email": user.email, "name": "Again", "password": PASSWORD, "role": "user"}
        created = await api.client.post("/api/v1/users", json=again, headers=headers)
        assert created.status_code == 201, created.text
        assert (await api.login(user.email)).status_code == 200


@pytest.mark.parametrize(
    "command",
    [
        ("show",),
        ("set-password", "--password-stdin"),
        ("unlock",),
        ("deactivate",),
        ("activate",),
        ("revoke-sessions",),
        ("erase", "--yes"),
    ],
    ids=lambda command: command[0],
)
def test_an_unknown_user_is_exit_1_with_one_line(migrated: str, command: tuple[str, ...]) -> None:
    name, *flags = command
    result = users(migrated, name, "nobody@example.com", *flags, stdin=OTHER_PASSWORD + "\n")
    assert one_error_line(result, 1) == "boundary: no such user: nobody@example.com"
    assert result.stdout == ""


def test_a_command_without_user_is_a_usage_error(migrated: str) -> None:
    assert "USER" in one_error_line(users(migrated, "show"), 2)


def erase_on_a_terminal(url: str, user: str, answer: str) -> subprocess.CompletedProcess[str]:
    """`users erase USER` (no --yes) with a terminal as stdin, answering the question."""
    main, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            boundary_cmd("users", "erase", user),
            cwd=ROOT,
            env=base_env({"DATABASE_URL": url}),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(main, answer.encode() + b"\n")
        out, err = process.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(main)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


async def test_erase_asks_on_a_terminal(migrated: str) -> None:
    """Without --yes on a terminal: "n" erases nothing (exit 1); "y" erases."""
    async with user_api(migrated) as api:
        user = await api.make_user("user", email=email())
    declined = erase_on_a_terminal(migrated, user.email, "n")
    assert declined.returncode == 1, declined.stderr
    assert "Erase?" in declined.stderr
    assert "cancelled" in declined.stderr
    assert ok(users(migrated, "show", user.email))
    accepted = erase_on_a_terminal(migrated, user.email, "y")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.startswith(f"erased: {user.id}")
    assert users(migrated, "show", str(user.id)).returncode == 1
