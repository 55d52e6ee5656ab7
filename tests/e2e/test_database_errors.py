"""A wrong database name or password named in the driver's own words — in the CLI's one error
line, in `/health`'s failing check and in the service's output — and the password never."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartService
from tests.support.process import run_cli

pytestmark = pytest.mark.e2e

SECRET = "s3cret-Pa55word"
CASES = [
    pytest.param(
        f"postgresql://postgres:{SECRET}@127.0.0.1:5432/boundary_no_such_db",
        'database "boundary_no_such_db" does not exist',
        id="postgresql-wrong-database",
    ),
    pytest.param(
        f"mysql://root:{SECRET}@127.0.0.1:3306/mysql",
        "Access denied for user 'root'",
        id="mysql-wrong-password",
    ),
]


@pytest.mark.parametrize(("url", "driver_says"), CASES)
def test_the_cli_names_the_drivers_reason(url: str, driver_says: str, tmp_path: Path) -> None:
    result = run_cli("migrate", "status", env={"DATABASE_URL": url})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("boundary: database unreachable: ")
    assert driver_says in lines[0]
    assert SECRET not in result.stdout + result.stderr


def health_when_down(api: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        answer = httpx.get(f"{api}/health", timeout=10)
        if answer.status_code == 503 or time.monotonic() > deadline:
            assert answer.status_code == 503, answer.text
            body: dict[str, Any] = answer.json()
            return body
        time.sleep(0.2)


@pytest.mark.parametrize(("url", "driver_says"), CASES)
def test_the_failing_health_check_names_the_drivers_reason(
    url: str, driver_says: str, start_service: StartService
) -> None:
    service = start_service(env={"DATABASE_URL": url}, ready=False)
    deadline = time.monotonic() + 30
    while True:
        try:
            body = health_when_down(service.api)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, service.output()
            time.sleep(0.2)
    check = body["checks"]["database"]
    assert check["status"] == "down"
    assert check["reason"] == "database_unreachable"
    assert driver_says in check["error"]
    assert SECRET not in str(body)
    assert SECRET not in service.output()
