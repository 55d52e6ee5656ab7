"""The account pages (HTTP shell): what a link in a reset or verification mail opens.

`GET /account/reset-password?token=…` shows a form ("New password", "Confirm password", "Set
password"); its POST calls the same `AccountService.confirm_password_reset` as the API (policy,
every session revoked, audited with `"via": "account-page"`). `GET /account/verify-email?token=…`
verifies at once, as the API's confirm does. No script runs on these pages; the form carries a
CSRF token (HMAC-SHA256 with `SESSION_SECRET` over the link's token), so another site cannot
post it without having the link. Pages are never cached and send no referrer (the URL holds
the token).
"""

from __future__ import annotations

import hashlib
import hmac
from importlib import resources
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from boundary.account.shell.service import AccountService
from boundary.kernel.errors import Invalid, Unavailable
from boundary.user.core.audit import RequestContext

if TYPE_CHECKING:
    from boundary.system import System

VIA: Final = "account-page"
_PACKAGE: Final = "boundary.http.account_pages"
_CSRF_PURPOSE: Final = b"boundary-account-csrf:reset:"
LINK_EXPIRED: Final = (
    "This link is invalid, was already used, or has expired. Ask for a new one and use the "
    "most recent mail."
)
MISMATCH: Final = "The two passwords differ."


class AccountPages:
    def __init__(self, system: System) -> None:
        self.account: AccountService = system.account
        self.csp = system.settings.web.console_csp
        self._key = system.settings.security.session_secret.get_secret_value().encode()
        self.templates = Environment(
            loader=PackageLoader(_PACKAGE, "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def csrf(self, token: str) -> str:
        return hmac.new(self._key, _CSRF_PURPOSE + token.encode(), hashlib.sha256).hexdigest()

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["Cache-Control"] = "no-store"
        return response

    def message(self, title: str, message: str, status: int = 200, ok: bool = False) -> Response:
        return self.render("message.html", status, title=title, message=message, ok=ok)

    def reset_form(self, token: str, status: int = 200, **errors: str) -> Response:
        return self.render(
            "reset_password.html",
            status,
            title="Set a new password",
            token=token,
            csrf=self.csrf(token),
            errors=errors,
        )


def _context(request: Request) -> RequestContext:
    state = request.scope.get("state") or {}
    client = request.scope.get("client")
    return RequestContext(
        ip=state.get("client_ip") or (client[0] if client else None),
        user_agent=request.headers.get("user-agent"),
        correlation_id=state.get("correlation_id"),
        via=VIA,
    )


def _pages(request: Request) -> AccountPages:
    pages: AccountPages = request.app.state.pages
    return pages


async def reset_page(request: Request) -> Response:
    pages = _pages(request)
    token = request.query_params.get("token", "")
    try:
        usable = await pages.account.reset_token_usable(token)
    except Unavailable:
        return _mail_unavailable(pages)
    if not usable:
        return pages.message("Link expired", LINK_EXPIRED, 400)
    return pages.reset_form(token)


async def reset_submit(request: Request) -> Response:
    pages = _pages(request)
    form = await _form(request)
    token = form.get("token", "")
    if not hmac.compare_digest(pages.csrf(token), form.get("csrf", "")):
        return pages.message("Not allowed", "The form was stale or not sent by this page.", 403)
    password = form.get("new_password", "")
    if password != form.get("confirm_password", ""):
        return pages.reset_form(token, 422, confirm_password=MISMATCH)
    try:
        await pages.account.confirm_password_reset(
            token=token, new_password=password, ctx=_context(request)
        )
    except Unavailable:
        return _mail_unavailable(pages)
    except Invalid as exc:
        fields = {e.field: e.message for e in exc.errors}
        if "token" in fields:
            return pages.message("Link expired", LINK_EXPIRED, 400)
        return pages.reset_form(
            token, 422, new_password=f"The password {fields.get('new_password', 'is invalid')}."
        )
    return pages.message(
        "Password set",
        "Your new password is set. Every session of your account was signed out; sign in again "
        "with the new password.",
        ok=True,
    )


async def verify_page(request: Request) -> Response:
    pages = _pages(request)
    try:
        await pages.account.confirm_email_verification(
            token=request.query_params.get("token", ""), ctx=_context(request)
        )
    except Unavailable:
        return _mail_unavailable(pages)
    except Invalid:
        return pages.message("Link expired", LINK_EXPIRED, 400)
    return pages.message("Email verified", "Your email address is verified. Thank you.", ok=True)


def _mail_unavailable(pages: AccountPages) -> Response:
    return pages.message(
        "Unavailable", "Mail is not configured on this service; try again later.", 503
    )


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def create_account_pages(system: System) -> Starlette:
    """The pages as an ASGI app, mounted at `/account` by `create_api_app`."""
    static = StaticFiles(directory=str(resources.files(_PACKAGE).joinpath("static")))
    app = Starlette(
        routes=[
            Route("/reset-password", reset_page, methods=["GET"]),
            Route("/reset-password", reset_submit, methods=["POST"]),
            Route("/verify-email", verify_page, methods=["GET"]),
            Mount("/static", app=static, name="static"),
        ]
    )
    app.state.pages = AccountPages(system)
    return app
