"""`boundary users create-admin` as an operator runs it, on a fresh PostgreSQL database (§2, §13):
the generated password printed once alone on its line, `--password-stdin`, promotion of an
existing user, one-line errors with exit 2 for bad input and 1 for pending migrations."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.conftest import FreshDatabase
from tests.support.process import run_cli
from tests.support.user_api import PASSWORD, user_api

pytestmark = pytest.mark.e2e


def create_admin(
    url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("users", "create-admin", *args, env={"DATABASE_URL": url}, stdin=stdin)


@pytest.fixture
def migrated(fresh_database: FreshDatabase) -> str:
    url = fresh_database("postgresql")
    result = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return url


def email() -> str:
    return f"admin-{uuid.uuid4().hex[:8]}@example.com"


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("boundary: ")
    return lines[0]


@pytest.mark.anyio
async def test_generated_password_is_printed_alone_once_and_logs_in(migrated: str) -> None:
    """Without --password-stdin: `admin created: <id> <email>`, then the password alone."""
    address = email()
    result = create_admin(migrated, "--email", address.upper(), "--name", "Root")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith("admin created: ")
    assert lines[0].endswith(f" {address}")
    password = lines[1]
    assert password == password.strip()
    assert " " not in password
    assert len(password) >= 12
    assert result.stdout.count(password) == 1
    assert password not in result.stderr
    assert "password" in result.stderr
    async with user_api(migrated) as api:
        login = await api.login(address, password)
        assert login.status_code == 200, login.text
        user = login.json()["user"]
        assert user["role"] == "admin"
        assert user["name"] == "Root"


@pytest.mark.anyio
async def test_password_stdin_sets_the_given_password_and_prints_none(migrated: str) -> None:
    """--password-stdin reads one line; nothing secret is printed."""
    address = email()
    result = create_admin(migrated, "--email", address, "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith("admin created: ")
    assert PASSWORD not in result.stdout + result.stderr
    async with user_api(migrated) as api:
        assert (await api.login(address, PASSWORD)).status_code == 200


@pytest.mark.anyio
async def test_an_existing_user_is_promoted_and_keeps_their_password(migrated: str) -> None:
    """The email of a live viewer: promoted to admin, sessions ended, password unchanged."""
    async with user_api(migrated) as api:
        viewer = await api.make_user("viewer", email=email())
        old_token = await api.token_for(viewer)
    result = create_admin(migrated, "--email", viewer.email)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"promoted to admin: {viewer.id} {viewer.email}"]
    again = create_admin(migrated, "--email", viewer.email)
    assert again.stdout.splitlines() == [f"already an admin: {viewer.id} {viewer.email}"]
    async with user_api(migrated) as api:
        assert (await api.client.get("/api/v1/auth/me", headers=old_token)).status_code == 401
        login = await api.login(viewer.email, PASSWORD)
        assert login.status_code == 200, login.text
        assert login.json()["user"]["role"] == "admin"
        admin = await api.token_for(await api.make_user("admin"))
        params = {"event_type": "user_updated", "actor": "cli"}
        rows = await api.client.get("/api/v1/audit-events", params=params, headers=admin)
        assert [row["resource"] for row in rows.json()["items"]] == [f"user:{viewer.id}"]


def test_weak_password_or_bad_email_is_exit_2_with_one_line(migrated: str) -> None:
    """Invalid input: exit 2, one line naming the field, nothing created."""
    weak = create_admin(migrated, "--email", email(), "--password-stdin", stdin="short\n")
    assert weak.returncode == 2
    assert "password" in one_error_line(weak)
    assert weak.stdout == ""
    bad = create_admin(migrated, "--email", "not-an-email")
    assert bad.returncode == 2
    assert "email" in one_error_line(bad)
    empty = create_admin(migrated, "--email", email(), "--password-stdin", stdin="")
    assert empty.returncode == 2
    one_error_line(empty)


def test_pending_migrations_is_exit_1(fresh_database: FreshDatabase) -> None:
    """An unmigrated database: exit 1 telling the operator to migrate first."""
    url = fresh_database("postgresql")
    result = create_admin(url, "--email", email())
    assert result.returncode == 1
    assert "migrations pending" in one_error_line(result)
    assert result.stdout == ""
