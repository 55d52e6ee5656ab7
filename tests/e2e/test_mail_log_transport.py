"""The developer's reset flow with the `log://` transport (the dev and test default), as after
`make run` on a port of its own: the link is read from the log, opened, and its form posted;
with `PUBLIC_URL` unset the link names the port the service listens on."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import StartService
from tests.support.process import Service, run_cli

pytestmark = pytest.mark.e2e

EMAIL = "dev@example.com"
PASSWORD = "first passphrase of the developer"
NEW_PASSWORD = "second passphrase of the developer"
LINK = re.compile(r"\blink=\"?([^\"\s]+)")


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name"):
            self.values[str(named["name"])] = named.get("value") or ""


def _logged_link(service: Service, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in service.lines if "Mail (log:// transport, not sent)" in line]
        if lines:
            found = LINK.search(lines[-1])
            assert found, lines[-1]
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError("no log:// mail line:\n" + "\n".join(service.lines[-30:]))


def test_the_reset_link_in_the_log_opens_the_local_service(
    tmp_path: Path, start_service: StartService
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    assert run_cli("migrate", "migrate", env=env).returncode == 0
    made = run_cli(
        "users", "create-admin", "--email", EMAIL, "--password-stdin", env=env, stdin=PASSWORD
    )
    assert made.returncode == 0, made.stderr
    service = start_service({**env, "BOUNDARY_MAIL__POLL_INTERVAL": "0.05"})

    asked = httpx.post(f"{service.api}/api/v1/auth/password-reset", json={"email": EMAIL})
    assert asked.status_code == 202

    link = _logged_link(service)
    assert link.startswith(f"http://localhost:{service.api_port}/account/reset-password?token=")
    page = httpx.get(link.replace("localhost", "127.0.0.1", 1))
    assert page.status_code == 200
    form = _Inputs()
    form.feed(page.text)
    assert set(form.values) >= {"token", "csrf", "new_password", "confirm_password"}
    posted = httpx.post(
        f"{service.api}/account/reset-password",
        data={
            "token": form.values["token"],
            "csrf": form.values["csrf"],
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert posted.status_code == 200
    assert "Password set" in posted.text
    for password, status in ((NEW_PASSWORD, 200), (PASSWORD, 401)):
        login = httpx.post(
            f"{service.api}/api/v1/auth/login", json={"email": EMAIL, "password": password}
        )
        assert login.status_code == status, login.text
