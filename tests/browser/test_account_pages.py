"""The pages a mailed link opens, in Chromium: a real `boundary serve` whose mail goes to a real
SMTP server (aiosmtpd, started by the test); the link is taken from the delivered message and
opened as a user would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import (
    PASSWORD,
    Console,
    MakeBrowser,
    button,
    field,
    start_console,
    wait_title,
)
from tests.support.process import free_port
from tests.support.smtp import Received, SmtpServer

NEW_PASSWORD = "a fresh passphrase from the mailed link"


@dataclass
class Site:
    console: Console
    smtp: SmtpServer
    public_url: str

    def mail_to(self, email: str, subject: str) -> Received:
        """The newest message to `email` with `subject` (waiting for it)."""
        for _ in range(2):
            found = [
                m for m in self.smtp.messages if m.rcpt_tos == [email] and m.subject == subject
            ]
            if found:
                return found[-1]
            self.smtp.wait_for(len(self.smtp.messages) + 1)
        raise AssertionError(f"no {subject!r} mail to {email}: {self.smtp.messages}")


@pytest.fixture(scope="module")
def site(browser_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    smtp = SmtpServer()
    smtp.start()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    env = {
        "MAIL_URL": smtp.url,
        "MAIL_FROM": "Boundary Accounts <accounts@example.com>",
        "PUBLIC_URL": public_url,
        "BOUNDARY_MAIL__POLL_INTERVAL": "0.05",
    }
    try:
        console = start_console(tmp_path_factory.mktemp("account"), env, api_port=port)
    except BaseException:
        smtp.stop()
        raise
    yield Site(console, smtp, public_url)
    console.service.stop()
    smtp.stop()


def _login_status(site: Site, email: str, password: str) -> int:
    answer = httpx.post(
        f"{site.console.base}/api/v1/auth/login",
        json={"email": email, "password": password},
        timeout=30,
    )
    return answer.status_code


def _reset_link(site: Site, email: str) -> str:
    answer = httpx.post(
        f"{site.console.base}/api/v1/auth/password-reset", json={"email": email}, timeout=30
    )
    assert answer.status_code == 202, answer.text
    mail = site.mail_to(email, "Reset your Boundary password")
    assert mail.mail_from == "accounts@example.com"
    [link] = mail.links
    assert link.startswith(f"{site.public_url}/account/reset-password?token="), link
    return link


def _hidden_token(driver: WebDriver) -> str:
    element = driver.find_element(By.CSS_SELECTOR, "input[name=token]")
    return str(element.get_attribute("value") or "")


def _error(driver: WebDriver, field_id: str) -> str:
    return str(driver.find_element(By.ID, f"{field_id}-error").text)


def _submit(driver: WebDriver, new: str, confirm: str) -> None:
    field(driver, "New password").clear()
    field(driver, "New password").send_keys(new)
    field(driver, "Confirm password").clear()
    field(driver, "Confirm password").send_keys(confirm)
    page = driver.find_element(By.TAG_NAME, "html")
    button(driver, "Set password").click()
    # The answer may be a page with the same title (the form again, with errors): wait until
    # the submitted page is gone before anything reads the new one.
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(page))


def test_the_mailed_reset_link_sets_a_new_password(site: Site, browser: MakeBrowser) -> None:
    email = "forgetful@example.com"
    site.console.create_user(email)
    link = _reset_link(site, email)
    driver = browser()

    driver.get(link)
    wait_title(driver, "Set a new password · Boundary")
    _submit(driver, NEW_PASSWORD, NEW_PASSWORD)

    wait_title(driver, "Password set · Boundary")
    status = driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "Your new password is set" in status
    assert _login_status(site, email, NEW_PASSWORD) == 200
    assert _login_status(site, email, PASSWORD) == 401
    # The link works once.
    driver.get(link)
    wait_title(driver, "Link expired · Boundary")


def test_a_mismatch_or_weak_password_is_shown_and_the_link_still_works(
    site: Site, browser: MakeBrowser
) -> None:
    email = "typo-prone@example.com"
    site.console.create_user(email)
    link = _reset_link(site, email)
    token = parse_qs(urlsplit(link).query)["token"][0]
    driver = browser()
    driver.get(link)
    wait_title(driver, "Set a new password · Boundary")

    _submit(driver, NEW_PASSWORD, NEW_PASSWORD + "!")
    wait_title(driver, "Set a new password · Boundary")
    assert _error(driver, "confirm_password") == "The two passwords differ."
    assert field(driver, "Confirm password").get_attribute("aria-invalid") == "true"
    assert _hidden_token(driver) == token

    _submit(driver, "password", "password")
    wait_title(driver, "Set a new password · Boundary")
    assert _error(driver, "new_password").startswith("The password ")
    assert _hidden_token(driver) == token
    assert _login_status(site, email, PASSWORD) == 200  # nothing changed yet

    _submit(driver, NEW_PASSWORD, NEW_PASSWORD)
    wait_title(driver, "Password set · Boundary")
    assert _login_status(site, email, NEW_PASSWORD) == 200
    assert _login_status(site, email, PASSWORD) == 401


def test_the_mailed_verification_link_verifies_the_address(
    site: Site, browser: MakeBrowser
) -> None:
    email = "new-arrival@example.com"
    user = site.console.create_user(email)
    assert user["email_verified"] is False
    token = site.console.login(email)
    answer = httpx.post(
        f"{site.console.base}/api/v1/auth/verify-email/request",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    [link] = site.mail_to(email, "Verify your email address").links
    assert link.startswith(f"{site.public_url}/account/verify-email?token="), link
    driver = browser()

    driver.get(link)
    wait_title(driver, "Email verified · Boundary")
    assert site.console.user(user["id"])["email_verified"] is True
    driver.get(link)
    wait_title(driver, "Link expired · Boundary")
