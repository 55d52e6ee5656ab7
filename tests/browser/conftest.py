"""Browser tests of the admin console: a real `boundary serve` and Debian's Chromium driven by
Selenium (chromedriver from the `chromium-driver` package).

A failing test leaves a screenshot and the page source under `test-artifacts/` (git-ignored).
Without Chromium the tests skip with the reason, or fail under BOUNDARY_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.process import ROOT, Service, run_cli

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("BOUNDARY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BOUNDARY_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "root@example.com"


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} not found (apt-get install -y chromium chromium-driver)"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("BOUNDARY_REQUIRE_SERVICES") == "1":
        pytest.fail(missing)
    pytest.skip(missing)


@dataclass
class Console:
    """One running service with its first admin, and an API client for checking effects."""

    service: Service
    admin_password: str = PASSWORD
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.service.api

    def api(
        self, method: str, path: str, *, as_: str = ADMIN_EMAIL, **kwargs: Any
    ) -> httpx.Response:
        token = self.tokens.get(as_) or self.login(as_)
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def login(self, email: str, password: str = PASSWORD, code: str | None = None) -> str:
        body: dict[str, str] = {"email": email, "password": password}
        if code is not None:
            body["mfa_code"] = code
        answer = httpx.post(f"{self.base}/api/v1/auth/login", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        self.tokens[email] = token
        return token

    def create_user(self, email: str, role: str = "user") -> dict[str, Any]:
        answer = self.api(
            "POST",
            "/api/v1/users",
            json={"email": email, "name": email.split("@")[0], "password": PASSWORD, "role": role},
        )
        assert answer.status_code == 201, answer.text
        user: dict[str, Any] = answer.json()
        return user

    def user(self, user_id: str) -> dict[str, Any]:
        answer = self.api("GET", f"/api/v1/users/{user_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def audit(self, **params: str) -> list[dict[str, Any]]:
        answer = self.api("GET", "/api/v1/audit-events", params={"limit": "100", **params})
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def enable_mfa(self, email: str) -> str:
        """Switch MFA on for `email` through the API; the TOTP secret."""
        token = self.login(email)
        headers = {"Authorization": f"Bearer {token}"}
        setup = httpx.post(f"{self.base}/api/v1/auth/mfa/setup", headers=headers, timeout=30)
        assert setup.status_code == 200, setup.text
        secret: str = setup.json()["secret"]
        enable = httpx.post(
            f"{self.base}/api/v1/auth/mfa/enable",
            headers=headers,
            json={"code": pyotp.TOTP(secret).now()},
            timeout=30,
        )
        assert enable.status_code == 200, enable.text
        return secret


def start_console(
    tmp: Path, env: dict[str, str] | None = None, *, api_port: int | None = None
) -> Console:
    """A fresh SQLite database, migrated, with an admin; then `boundary serve` on it (on
    `api_port` if given, e.g. one `PUBLIC_URL` already names)."""
    url = f"sqlite:///{tmp / 'console.db'}"
    migrated = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    made = run_cli(
        "users",
        "create-admin",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Root Admin",
        "--password-stdin",
        env={"DATABASE_URL": url},
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    service = Service(
        {
            "DATABASE_URL": url,
            "BOUNDARY_RATE_LIMIT__PUBLIC": "10000/minute",
            "BOUNDARY_SECURITY__PASSWORD_HASH_TIME_COST": "2",
            "BOUNDARY_SECURITY__PASSWORD_HASH_MEMORY_KIB": "19456",
            **(env or {}),
        },
        api_port=api_port,
    )
    try:
        service.wait_ready()
    except BaseException:
        service.stop()
        raise
    return Console(service)


@pytest.fixture(scope="module")
def console(browser_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    started = start_console(tmp_path_factory.mktemp("console"))
    yield started
    started.service.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


MakeBrowser = Callable[..., WebDriver]


@pytest.fixture
def browser(request: pytest.FixtureRequest, browser_available: None) -> Iterator[MakeBrowser]:
    """Factory of headless Chromium windows (`width`, `height`); each is closed at teardown,
    and on failure leaves a screenshot and its HTML under test-artifacts/."""
    opened: list[WebDriver] = []

    def make(width: int = 1280, height: int = 900) -> WebDriver:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            "--password-store=basic",
            f"--window-size={width},{height}",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(
            service=DriverService(executable_path=CHROMEDRIVER), options=options
        )
        driver.set_window_size(width, height)
        opened.append(driver)
        return driver

    yield make
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for index, driver in enumerate(opened):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            driver.save_screenshot(str(ARTIFACTS / f"{stem}-{index}.png"))
            (ARTIFACTS / f"{stem}-{index}.html").write_text(driver.page_source)
        driver.quit()


def wait_for(driver: WebDriver, css: str, timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_title(driver: WebDriver, title: str, timeout: float = 15) -> None:
    WebDriverWait(driver, timeout).until(expected_conditions.title_is(title))


def field(driver: WebDriver, label: str) -> Any:
    """The input a visible <label> names (every input has one)."""
    for candidate in driver.find_elements(By.TAG_NAME, "label"):
        if candidate.text.strip() == label:
            return driver.find_element(By.ID, candidate.get_attribute("for"))
    raise AssertionError(f"no field labelled {label!r} on {driver.current_url}")


def button(driver: WebDriver, text: str) -> Any:
    found = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.strip() == text]
    assert found, f"no button {text!r} on {driver.current_url}"
    return found[0]


def buttons(driver: WebDriver) -> list[str]:
    return [b.text.strip() for b in driver.find_elements(By.TAG_NAME, "button")]


def sign_in(
    driver: WebDriver,
    console: Console,
    email: str = ADMIN_EMAIL,
    password: str = PASSWORD,
) -> None:
    driver.get(f"{console.base}/admin/login")
    wait_title(driver, "Sign in · Boundary")
    field(driver, "Email").send_keys(email)
    field(driver, "Password").send_keys(password)
    button(driver, "Sign in").click()


def admin_cookie(driver: WebDriver) -> str:
    cookie = driver.get_cookie("boundary_admin")
    assert cookie is not None, driver.get_cookies()
    return str(cookie["value"])


def hidden_csrf(driver: WebDriver) -> str:
    return str(
        driver.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value") or ""
    )


def csp_violations(driver: WebDriver) -> list[str]:
    """Messages in the browser console about the Content-Security-Policy refusing something."""
    entries = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [str(e["message"]) for e in entries if "Content Security Policy" in str(e["message"])]
