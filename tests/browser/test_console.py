"""The admin console in a real browser: sign-in with and without MFA, every action and its
effect seen through the JSON API, CSRF and viewer refusals, API revocation ending the
browser's session, the 375 px layout, and the README's screenshots (docs/images/)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import (
    ADMIN_EMAIL,
    PASSWORD,
    Console,
    MakeBrowser,
    admin_cookie,
    button,
    buttons,
    csp_violations,
    field,
    hidden_csrf,
    sign_in,
    start_console,
    wait_for,
    wait_title,
)
from tests.support.process import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# The README's screenshots are refreshed with BOUNDARY_UPDATE_SCREENSHOTS=1 (so that a plain
# test run leaves the working tree clean); otherwise they go with the test artefacts.
IMAGES = (
    ROOT / "docs" / "images"
    if os.environ.get("BOUNDARY_UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots"
)


def email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def via_console(events: list[dict[str, object]], event_type: str) -> list[dict[str, object]]:
    return [
        e
        for e in events
        if e["event_type"] == event_type
        and isinstance(e["details"], dict)
        and e["details"].get("via") == "admin-console"
    ]


def test_sign_in_without_mfa_and_the_readme_screenshots(
    console: Console, browser: MakeBrowser
) -> None:
    for n in range(3):
        console.create_user(email(f"sample{n}"), role=("user", "viewer", "admin")[n])
    driver = browser(1280, 860)
    sign_in(driver, console)
    wait_title(driver, "Users · Boundary")
    rows = driver.find_elements(By.CSS_SELECTOR, "#users tbody tr")
    assert len(rows) >= 4
    assert ADMIN_EMAIL in driver.find_element(By.ID, "users").text
    # The session is a user_sessions row: listed through the API, and audited as a login.
    me = console.api("GET", "/api/v1/auth/me").json()
    sessions = console.api("GET", f"/api/v1/users/{me['id']}/sessions").json()["items"]
    assert any(s["revoked_at"] is None for s in sessions)
    assert via_console(console.audit(event_type="login_succeeded"), "login_succeeded")
    IMAGES.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(IMAGES / "console-users.png"))
    driver.find_element(By.LINK_TEXT, "Status").click()
    wait_title(driver, "Status · Boundary")
    checks = driver.find_element(By.ID, "checks").text
    assert "database" in checks
    assert "migrations" in checks
    assert "pending" in driver.find_element(By.ID, "migrations-summary").text
    assert driver.find_element(By.ID, "version").text
    assert "size" in driver.find_element(By.ID, "pool").text
    assert "memory://" in driver.find_element(By.ID, "rate-limit").text
    driver.save_screenshot(str(IMAGES / "console-status.png"))
    # htmx replaces the panel every 5 s: the time it shows moves on by itself.
    shown = driver.find_element(By.ID, "status-time").text
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "status-time").text != shown)
    # htmx and the stylesheet work under the console's CSP: nothing was refused.
    assert csp_violations(driver) == []
    # Every page of the navigation answers with its title.
    for link, title in (
        ("New user", "New user"),
        ("Sessions", "Sessions"),
        ("Audit log", "Audit log"),
        ("Users", "Users"),
    ):
        driver.find_element(By.LINK_TEXT, link).click()
        wait_title(driver, f"{title} · Boundary")
    button(driver, "Sign out").click()
    wait_title(driver, "Sign in · Boundary")
    assert driver.get_cookie("boundary_admin") is None
    driver.get(f"{console.base}/admin/users")
    wait_title(driver, "Sign in · Boundary")


def test_the_cookie_is_http_only_strict_and_scoped_to_admin(
    console: Console, browser: MakeBrowser
) -> None:
    driver = browser()
    sign_in(driver, console)
    wait_title(driver, "Users · Boundary")
    cookie = driver.get_cookie("boundary_admin")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/admin"
    assert cookie["secure"] is True  # ENV=test: only dev leaves Secure off


def test_sign_in_with_mfa_asks_for_the_authentication_code(
    console: Console, browser: MakeBrowser
) -> None:
    address = email("mfa-admin")
    console.create_user(address, role="admin")
    secret = console.enable_mfa(address)
    driver = browser()
    sign_in(driver, console, address)
    wait_for(driver, "#mfa_code")
    assert "authentication code" in driver.find_element(By.ID, "login-message").text.lower()
    field(driver, "Password").send_keys(PASSWORD)
    # The code of the next time step: the one of this step was spent enabling MFA.
    code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    field(driver, "Authentication code").send_keys(code)
    button(driver, "Sign in").click()
    wait_title(driver, "Users · Boundary")
    events = via_console(console.audit(event_type="login_succeeded"), "login_succeeded")
    assert any(e["email"] == address and e["details"]["mfa"] == "totp" for e in events)


def test_wrong_credentials_and_a_plain_user_get_one_generic_message(
    console: Console, browser: MakeBrowser
) -> None:
    plain = email("plain")
    console.create_user(plain, role="user")
    driver = browser()
    messages = []
    for address, password in ((ADMIN_EMAIL, "wrong password here"), (plain, PASSWORD)):
        sign_in(driver, console, address, password)
        messages.append(wait_for(driver, "#login-message").text)
        assert driver.get_cookie("boundary_admin") is None
    assert messages[0] == messages[1]
    failed = via_console(console.audit(event_type="login_failed"), "login_failed")
    assert any(e["email"] == ADMIN_EMAIL for e in failed)
    denied = via_console(console.audit(event_type="access_denied"), "access_denied")
    assert any(e["email"] == plain for e in denied)


def test_every_action_goes_through_the_services_and_shows_in_the_api(
    console: Console, browser: MakeBrowser
) -> None:
    driver = browser()
    sign_in(driver, console)
    wait_title(driver, "Users · Boundary")
    # New user, with the validation message beside the field first.
    address = email("made")
    driver.find_element(By.LINK_TEXT, "New user").click()
    wait_title(driver, "New user · Boundary")
    field(driver, "Email").send_keys("not-an-email")
    field(driver, "Name").send_keys("Made In Console")
    field(driver, "Password").send_keys(PASSWORD)
    button(driver, "Create user").click()
    assert "Email" in wait_for(driver, "#email-error").text
    field(driver, "Email").clear()
    field(driver, "Email").send_keys(address)
    field(driver, "Password").send_keys(PASSWORD)
    button(driver, "Create user").click()
    assert wait_for(driver, "#notice").text == "User created."
    user_id = driver.current_url.split("/admin/users/")[1].split("?")[0]
    made = console.user(user_id)
    assert made["email"] == address
    assert made["role"] == "user"
    # The new user signs in to the API; then the console acts on them.
    console.login(address)
    secret = console.enable_mfa(address)
    assert secret
    assert console.user(user_id)["mfa_enabled"] is True

    def act(label: str, confirm: bool = True) -> str:
        old = driver.find_element(By.TAG_NAME, "html")
        button(driver, label).click()
        if confirm:
            driver.switch_to.alert.accept()  # destructive actions ask first
        WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))
        return str(wait_for(driver, "#notice").text)

    driver.get(f"{console.base}/admin/users/{user_id}")
    assert act("Reset MFA").startswith("MFA reset")
    assert console.user(user_id)["mfa_enabled"] is False
    token = console.login(address)
    assert act("Revoke sessions") == "Sessions revoked."
    me = httpx.get(f"{console.base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert act("Deactivate").startswith("User deactivated")
    assert console.user(user_id)["active"] is False
    assert act("Activate", confirm=False) == "User activated."
    assert console.user(user_id)["active"] is True
    Select(field(driver, "Role")).select_by_visible_text("viewer")
    assert act("Save", confirm=False).startswith("Role saved")
    assert console.user(user_id)["role"] == "viewer"
    # The same audit events as the API's, each saying it came through the console.
    events = console.audit(actor=console.api("GET", "/api/v1/auth/me").json()["id"])
    subject = [e for e in events if e["email"] == address]
    kinds = {e["event_type"] for e in subject if e["details"].get("via") == "admin-console"}
    assert {"user_created", "mfa_disabled", "session_revoked", "user_updated"} <= kinds


def test_sessions_page_revokes_one_session(console: Console, browser: MakeBrowser) -> None:
    address = email("sess")
    made = console.create_user(address)
    token = console.login(address)
    driver = browser()
    sign_in(driver, console)
    wait_title(driver, "Users · Boundary")
    driver.find_element(By.LINK_TEXT, "Sessions").click()
    wait_title(driver, "Sessions · Boundary")
    rows = driver.find_elements(By.CSS_SELECTOR, "#sessions tbody tr")
    row = next(r for r in rows if address in r.text)
    row.find_element(By.TAG_NAME, "button").click()
    driver.switch_to.alert.accept()
    assert wait_for(driver, "#notice").text == "Session revoked."
    me = httpx.get(f"{console.base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    items = console.api("GET", f"/api/v1/users/{made['id']}/sessions").json()["items"]
    assert all(s["revoked_at"] is not None for s in items)


def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    console: Console, browser: MakeBrowser
) -> None:
    target = console.create_user(email("csrf"))
    driver = browser()
    sign_in(driver, console)
    wait_title(driver, "Users · Boundary")
    cookie = {"Cookie": f"boundary_admin={admin_cookie(driver)}"}
    url = f"{console.base}/admin/users/{target['id']}/active"
    for body in ({"active": "false"}, {"active": "false", "csrf": "0" * 64}):
        refused = httpx.post(url, data=body, headers=cookie)
        assert refused.status_code == 403, refused.text
    assert console.user(target["id"])["active"] is True
    # The same request with the page's token goes through (the refusal was the token).
    driver.get(f"{console.base}/admin/users/{target['id']}")
    accepted = httpx.post(
        url, data={"active": "false", "csrf": hidden_csrf(driver)}, headers=cookie
    )
    assert accepted.status_code == 303
    assert console.user(target["id"])["active"] is False
    # The sign-in form has its own token too.
    login = httpx.post(
        f"{console.base}/admin/login", data={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert login.status_code == 403
    assert "set-cookie" not in {
        k.lower() for k in login.headers if "boundary_admin=" in login.headers[k]
    }


def test_a_viewer_sees_pages_without_actions_and_cannot_act(
    console: Console, browser: MakeBrowser
) -> None:
    viewer = email("viewer")
    console.create_user(viewer, role="viewer")
    target = console.create_user(email("target"))
    driver = browser()
    sign_in(driver, console, viewer)
    wait_title(driver, "Users · Boundary")
    driver.get(f"{console.base}/admin/users/{target['id']}")
    wait_for(driver, "#user-email")
    assert buttons(driver) == ["Sign out"]
    driver.get(f"{console.base}/admin/users/new")
    assert buttons(driver) == ["Sign out"]
    csrf = hidden_csrf(driver)  # the viewer's own, valid token (from the sign-out form)
    cookie = {"Cookie": f"boundary_admin={admin_cookie(driver)}"}
    for path, body in (
        (f"/admin/users/{target['id']}/active", {"active": "false"}),
        (f"/admin/users/{target['id']}/role", {"role": "admin"}),
        (f"/admin/users/{target['id']}/mfa/reset", {}),
        (f"/admin/users/{target['id']}/sessions/revoke", {}),
        ("/admin/users/new", {"email": email("x"), "name": "X", "role": "admin"}),
    ):
        refused = httpx.post(f"{console.base}{path}", data={**body, "csrf": csrf}, headers=cookie)
        assert refused.status_code == 403, (path, refused.text)
    after = console.user(target["id"])
    assert (after["active"], after["role"]) == (True, "user")
    denied = via_console(console.audit(event_type="access_denied"), "access_denied")
    assert any(e["email"] == viewer for e in denied)
    # The audit log follows the API's table: admins only.
    driver.get(f"{console.base}/admin/audit")
    assert driver.find_element(By.ID, "refusal").text


def test_revocation_through_the_api_ends_the_browser_session(
    console: Console, browser: MakeBrowser
) -> None:
    address = email("op")
    made = console.create_user(address, role="admin")
    driver = browser()
    sign_in(driver, console, address)
    wait_title(driver, "Users · Boundary")
    revoked = console.api("DELETE", f"/api/v1/users/{made['id']}/sessions")
    assert revoked.status_code == 204
    driver.get(f"{console.base}/admin/users")
    wait_title(driver, "Sign in · Boundary")


def test_the_console_at_375_px(console: Console, browser: MakeBrowser) -> None:
    driver = browser(375, 812)
    sign_in(driver, console)
    wait_title(driver, "Users · Boundary")
    for page in ("users", "status", "audit", "sessions", "users/new"):
        driver.get(f"{console.base}/admin/{page}")
        wait_for(driver, "main h1")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 375, (page, width)
        for name in ("Users", "Status", "Sign out"):
            shown = driver.find_elements(By.LINK_TEXT, name) or [button(driver, name)]
            assert shown[0].is_displayed(), (page, name)
    driver.get(f"{console.base}/admin/users")
    wait_for(driver, "#users")
    IMAGES.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(IMAGES / "console-users-375.png"))


def test_console_sign_in_failures_count_toward_the_login_limit(
    browser_available: None, tmp_path: Path, browser: MakeBrowser
) -> None:
    """Five failed console sign-ins from one IP block the API's login from it too (§5)."""
    console = start_console(tmp_path)
    try:
        driver = browser()
        for _ in range(5):
            sign_in(driver, console, ADMIN_EMAIL, "not the password at all")
            wait_for(driver, "#login-message")
        sign_in(driver, console)
        assert "Too many" in wait_for(driver, "#login-message").text
        api = httpx.post(
            f"{console.base}/api/v1/auth/login",
            json={"email": ADMIN_EMAIL, "password": PASSWORD},
        )
        assert api.status_code == 429
    finally:
        console.service.stop()


def test_an_idle_console_session_ends(
    browser_available: None, tmp_path: Path, browser: MakeBrowser
) -> None:
    console = start_console(tmp_path, {"BOUNDARY_WEB__IDLE_TIMEOUT": "2s"})
    try:
        driver = browser()
        sign_in(driver, console)
        wait_title(driver, "Users · Boundary")
        time.sleep(3)  # longer than the idle timeout; no timing is asserted
        driver.get(f"{console.base}/admin/users")
        wait_title(driver, "Sign in · Boundary")
    finally:
        console.service.stop()
