"""The interactive API reference in a real browser: `/docs` (Swagger UI) and `/redoc` render
every operation of the OpenAPI document from assets the service serves itself, under their own
Content-Security-Policy, with nothing in the browser console — and the rest of the site keeps
the strict policy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Console, MakeBrowser, wait_for, wait_title

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SITE_CSP = "default-src 'none'; frame-ancestors 'none'"


def operation_ids(console: Console) -> list[tuple[str, str]]:
    document: dict[str, Any] = httpx.get(f"{console.base}/openapi.json", timeout=30).json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


# ReDoc's side menu footer always loads Redocly's logo from their CDN (hard-coded in the
# bundle, hidden again when it fails to load). The policy blocks it on purpose: the page makes
# no outside request. That one refusal is the only console entry allowed.
REDOC_REMOTE_LOGO = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"


def console_messages(driver: WebDriver, allowed: tuple[str, ...] = ()) -> list[str]:
    """Every console entry of warning level or worse (a CSP refusal is SEVERE), less those
    containing one of `allowed`."""
    entries = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [
        str(e["message"])
        for e in entries
        if e["level"] in ("SEVERE", "WARNING")
        and not any(text in str(e["message"]) for text in allowed)
    ]


def test_swagger_ui_renders_every_operation_with_authorize(
    console: Console, browser: MakeBrowser
) -> None:
    driver = browser()
    driver.get(f"{console.base}/docs")
    wait_title(driver, "Boundary API · Swagger UI")
    wait_for(driver, ".opblock-summary-path", timeout=30)
    expected = operation_ids(console)
    shown = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip(),
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary")
    }
    assert set(expected) <= shown, set(expected) - shown
    assert driver.find_element(By.CSS_SELECTOR, "button.authorize").is_displayed()
    assert console_messages(driver) == []


def test_redoc_renders_every_operation(console: Console, browser: MakeBrowser) -> None:
    driver = browser()
    driver.get(f"{console.base}/redoc")
    wait_title(driver, "Boundary API · ReDoc")
    expected = operation_ids(console)
    # ReDoc renders one section per operation, its id naming the operation.
    sections = "[data-section-id*='/operation/']"
    WebDriverWait(driver, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, sections)) >= len(expected)
    )
    assert len(driver.find_elements(By.CSS_SELECTOR, sections)) == len(expected)
    # Authenticated operations show the bearer scheme under "Authorizations".
    assert "HTTPBearer" in driver.page_source
    assert console_messages(driver, allowed=(REDOC_REMOTE_LOGO,)) == []


def test_only_the_docs_pages_relax_the_policy(console: Console) -> None:
    for path in ("/docs", "/redoc"):
        csp = httpx.get(f"{console.base}{path}", timeout=30).headers["content-security-policy"]
        assert "'sha256-" in csp or path == "/redoc", csp
        assert "'unsafe-eval'" not in csp
        assert "script-src 'self'" in csp, csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], csp
    for path in ("/openapi.json", "/health", "/api/v1/users", "/docs/assets/swagger-ui.css"):
        answer = httpx.get(f"{console.base}{path}", timeout=30)
        assert answer.headers["content-security-policy"] == SITE_CSP, path
    asset = httpx.get(f"{console.base}/docs/assets/swagger-ui-bundle.js", timeout=30)
    assert asset.status_code == 200
    assert "SwaggerUIBundle" in asset.text
