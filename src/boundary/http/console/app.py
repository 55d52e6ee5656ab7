"""The admin console (HTTP shell): server-rendered pages under `/admin` on the API listener.

Another adapter of the user module, like the JSON routes: every page and action authenticates
(the `boundary_admin` cookie → a live `user_sessions` row), asks `AccessControl.require` (the
core permission table; refusals audited) and calls the same services with a request context
whose `via` is `admin-console`, so every audit row the console causes says so. No SQL, no
rules of its own. Console-only permissions live in the same table: `console.sign_in` (admins
and viewers) and `console.act` (admins: viewers see, never act).

Every POST carries a CSRF token (`session.Csrf`) checked before anything else runs; a POST
without a valid one is 403 and changes nothing. Forms are plain HTML; htmx (vendored under
`/admin/static/`) only refreshes the Status panel and `console.js` only asks to confirm
destructive actions. Domain errors become pages, never problem+json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, time
from importlib import resources
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from boundary.http.console import session as cookies
from boundary.http.console.status import gather_status
from boundary.kernel.pagination import Window
from boundary.kernel.problems import FieldError
from boundary.ops.core import format_timestamp
from boundary.user.core import permissions
from boundary.user.core.audit import RequestContext
from boundary.user.core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    LoginRefused,
    MfaCodeRequired,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from boundary.user.core.model import ROLES, AuditFilter, UserFilter
from boundary.user.core.permissions import Action
from boundary.user.core.validation import parse_date_time
from boundary.user.shell.authn import Principal

if TYPE_CHECKING:
    from boundary.system import System
    from boundary.user.shell.module import UserModule

VIA: Final = "admin-console"
PAGE_SIZE: Final = 25
GENERIC_SIGN_IN_FAILURE: Final = "Sign-in failed. Check your email and password."
MFA_PROMPT: Final = "Enter the authentication code from your authenticator app (or a backup code)."
NOTICES: Final[Mapping[str, str]] = {
    "created": "User created.",
    "activated": "User activated.",
    "deactivated": "User deactivated; their sessions were revoked.",
    "role": "Role saved; their sessions were revoked.",
    "revoked": "Sessions revoked.",
    "mfa": "MFA reset: it is off and the backup codes are gone.",
    "session": "Session revoked.",
}
_STATIC: Final = "boundary.http.console"


class _Refused(Exception):
    """Answer with this page (a 403, 404 or 409 rendered in the console's layout)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Console:
    """The console's pages; one instance per app, holding the system it serves."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.module: UserModule = system.user
        settings = system.settings
        self.csrf = cookies.Csrf(settings.security.session_secret.get_secret_value())
        self.secure = settings.environment != "dev"
        self.idle = float(settings.web.idle_timeout)
        self.csp = settings.web.console_csp
        self.session_max_age = int(settings.security.session_ttl)
        self.templates = Environment(
            loader=PackageLoader(_STATIC, "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = _when

    # --- plumbing -------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        status: int = 200,
        *,
        principal: Principal | None = None,
        headers: Mapping[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        context = {
            "me": principal.user if principal is not None else None,
            "can_act": principal is not None and _allowed(principal, Action.CONSOLE_ACT),
            "csrf": self.csrf.for_session(str(principal.session.id)) if principal else "",
            "path": request.url.path,
            **values,
        }
        html = self.templates.get_template(template).render(context)
        response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
        response.headers["Content-Security-Policy"] = self.csp
        return response

    def context(self, request: Request) -> RequestContext:
        state = request.scope.get("state") or {}
        client = request.scope.get("client")
        return RequestContext(
            ip=state.get("client_ip") or (client[0] if client else None),
            user_agent=request.headers.get("user-agent"),
            correlation_id=state.get("correlation_id"),
            via=VIA,
        )

    async def principal(self, request: Request) -> Principal | None:
        """The signed-in operator, or None (no cookie, or its session ended or idled out)."""
        raw = request.cookies.get(cookies.COOKIE)
        if not raw:
            return None
        try:
            found = await self.module.authenticator.authenticate_session_token(
                raw, idle_seconds=self.idle
            )
        except Unauthenticated:
            return None
        request.scope.setdefault("state", {})["user_id"] = str(found.user.id)
        return found

    async def require(
        self,
        request: Request,
        principal: Principal,
        action: Action,
        *,
        target: UUID | None = None,
        fields: tuple[str, ...] = (),
    ) -> None:
        await self.module.access.require(
            principal, action, self.context(request), target_user_id=target, fields=fields
        )

    def to_login(self, request: Request) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/admin/login"})
        response = RedirectResponse("/admin/login", status_code=303)
        cookies.clear_cookie(response, cookies.COOKIE, secure=self.secure)
        return response

    def refused(self, request: Request, principal: Principal | None, refusal: _Refused) -> Response:
        return self.render(
            request,
            "refused.html",
            refusal.status,
            principal=principal,
            title={403: "Not allowed", 404: "Not found"}.get(refusal.status, "Refused"),
            message=refusal.message,
        )


Handler = Callable[[Console, Request, Principal], Awaitable[Response]]


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A signed-in page or action: authenticate, check CSRF on POST, map refusals to pages."""

    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        principal = await console.principal(request)
        if principal is None:
            return console.to_login(request)
        try:
            if request.method == "POST":
                form = await _form(request)
                request.state.form = form
                token = form.get(cookies.CSRF_FIELD)
                if not console.csrf.valid_for_session(str(principal.session.id), token):
                    raise _Refused(403, "The form was stale or not sent by this console.")
            await console.require(request, principal, Action.CONSOLE_SIGN_IN)
            if request.method == "POST" and not request.url.path.endswith("/logout"):
                await console.require(request, principal, Action.CONSOLE_ACT)
            return await handler(console, request, principal)
        except _Refused as refusal:
            return console.refused(request, principal, refusal)
        except Forbidden:
            denied = _Refused(403, "Your role may not do this.")
            return console.refused(request, principal, denied)
        except NotFound as missing:
            return console.refused(request, principal, _Refused(404, str(missing) or "Not found."))
        except Unauthenticated:
            return console.to_login(request)

    endpoint.__name__ = handler.__name__
    return endpoint


# --- sign-in and sign-out ----------------------------------------------------------------------


async def login_form(request: Request) -> Response:
    console: Console = request.app.state.console
    if await console.principal(request) is not None:
        return RedirectResponse("/admin/users", status_code=303)
    return _login_page(console, request, email="", mfa=False, message=None, status=200)


def _login_page(
    console: Console,
    request: Request,
    *,
    email: str,
    mfa: bool,
    message: str | None,
    status: int,
    headers: Mapping[str, str] | None = None,
) -> Response:
    nonce = cookies.new_nonce()
    response = console.render(
        request,
        "login.html",
        status,
        headers=headers,
        title="Sign in",
        email=email,
        mfa=mfa,
        message=message,
        login_csrf=console.csrf.for_login(nonce),
    )
    cookies.set_cookie(response, cookies.LOGIN_COOKIE, nonce, secure=console.secure, max_age=3600)
    return response


async def login(request: Request) -> Response:
    """Sign in through `AuthService.login`: the same limits, lockout and audit as the API."""
    console: Console = request.app.state.console
    form = await _form(request)
    if not console.csrf.valid_for_login(
        request.cookies.get(cookies.LOGIN_COOKIE), form.get(cookies.CSRF_FIELD)
    ):
        return console.refused(
            request, None, _Refused(403, "The sign-in form was stale; load the page again.")
        )
    email = form.get("email", "")
    password = form.get("password", "")
    code = form.get("mfa_code", "").strip() or None
    ctx = console.context(request)
    auth = console.module.auth
    try:
        if not email.strip() or not password:
            missing = [
                FieldError(field=name, message="is required")
                for name, value in (("email", email.strip()), ("password", password))
                if not value
            ]
            await auth.refuse_invalid_login(email=email, errors=missing, ctx=ctx)
        result = await auth.login(email=email, password=password, mfa_code=code, ctx=ctx)
    except MfaCodeRequired:
        message = MFA_PROMPT if code is None else GENERIC_SIGN_IN_FAILURE
        return _login_page(console, request, email=email, mfa=True, message=message, status=401)
    except TooManyAttempts as blocked:
        message = f"Too many failed sign-ins. Try again in {blocked.retry_after} seconds."
        headers = {"Retry-After": str(blocked.retry_after)}
        return _login_page(
            console, request, email=email, mfa=False, message=message, status=429, headers=headers
        )
    except (LoginRefused, Invalid, Unauthenticated):
        return _login_page(
            console, request, email=email, mfa=False, message=GENERIC_SIGN_IN_FAILURE, status=401
        )
    principal = await console.module.authenticator.authenticate_session_token(
        result.session_token, idle_seconds=console.idle
    )
    try:
        await console.require(request, principal, Action.CONSOLE_SIGN_IN)
    except Forbidden:
        await auth.logout(principal, ctx)  # only operators have a console session
        return _login_page(
            console, request, email=email, mfa=False, message=GENERIC_SIGN_IN_FAILURE, status=401
        )
    response = RedirectResponse("/admin/users", status_code=303)
    cookies.set_cookie(
        response,
        cookies.COOKIE,
        result.session_token,
        secure=console.secure,
        max_age=console.session_max_age,
    )
    cookies.clear_cookie(response, cookies.LOGIN_COOKIE, secure=console.secure)
    return response


async def _logout(console: Console, request: Request, me: Principal) -> Response:
    await console.module.auth.logout(me, console.context(request))
    response = RedirectResponse("/admin/login", status_code=303)
    cookies.clear_cookie(response, cookies.COOKIE, secure=console.secure)
    return response


# --- users ---------------------------------------------------------------------------------------


async def _home(console: Console, request: Request, me: Principal) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


async def _users(console: Console, request: Request, me: Principal) -> Response:
    await console.require(request, me, Action.USERS_LIST)
    query = request.query_params
    q = query.get("q", "").strip()[:254]
    role = query.get("role", "")
    status = query.get("status", "")
    where = UserFilter(
        q=q or None,
        role=next((r for r in ROLES if r == role), None),
        active={"active": True, "inactive": False}.get(status),
    )
    page_no = _page_number(query.get("page"))
    window = Window(limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    found = await console.module.users.list(where, window)
    kept = {k: v for k, v in (("q", q), ("role", role), ("status", status)) if v}
    last = max(1, -(-found.total // PAGE_SIZE))
    return console.render(
        request,
        "users.html",
        principal=me,
        title="Users",
        users=found.items,
        total=found.total,
        q=q,
        role=role,
        status_filter=status,
        roles=ROLES,
        page=page_no,
        pages=last,
        prev_url=_url("/admin/users", kept, page_no - 1) if page_no > 1 else None,
        next_url=_url("/admin/users", kept, page_no + 1) if page_no < last else None,
    )


async def _user(console: Console, request: Request, me: Principal) -> Response:
    target = _uuid(request.path_params["id"])
    await console.require(request, me, Action.USERS_READ, target=target)
    return await _user_page(console, request, me, target)


async def _user_page(
    console: Console,
    request: Request,
    me: Principal,
    target: UUID | None,
    *,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    if target is None:
        raise _Refused(404, "No such user.")
    user = await console.module.users.get(target)
    sessions = None
    if _allowed(me, Action.USERS_SESSIONS_LIST, target):
        sessions = (await console.module.users.sessions(target, Window(limit=50, offset=0))).items
    return console.render(
        request,
        "user.html",
        status,
        principal=me,
        title=user.email,
        user=user,
        sessions=sessions,
        roles=ROLES,
        errors=errors or {},
        message=message,
        notice=NOTICES.get(request.query_params.get("done", "")),
    )


async def _set_active(console: Console, request: Request, me: Principal) -> Response:
    form: dict[str, str] = request.state.form
    active = form.get("active") == "true"
    return await _update(
        console, request, me, {"active": active}, "activated" if active else "deactivated"
    )


async def _set_role(console: Console, request: Request, me: Principal) -> Response:
    form: dict[str, str] = request.state.form
    return await _update(console, request, me, {"role": form.get("role", "")}, "role")


async def _update(
    console: Console, request: Request, me: Principal, patch: dict[str, object], done: str
) -> Response:
    target = _uuid(request.path_params["id"])
    await console.require(request, me, Action.USERS_UPDATE, target=target, fields=tuple(patch))
    if target is None:
        raise _Refused(404, "No such user.")
    try:
        await console.module.users.update(me.ref, target, patch, console.context(request))
    except Invalid as invalid:
        return await _user_page(
            console, request, me, target, errors=_field_errors(invalid), status=422
        )
    except Conflict as conflict:
        return await _user_page(console, request, me, target, message=str(conflict), status=409)
    return _back_to_user(target, done)


async def _revoke_sessions(console: Console, request: Request, me: Principal) -> Response:
    target = _uuid(request.path_params["id"])
    await console.require(request, me, Action.USERS_SESSIONS_REVOKE, target=target)
    if target is None:
        raise _Refused(404, "No such user.")
    await console.module.users.revoke_sessions(me.ref, target, console.context(request))
    if target == me.user.id:
        return console.to_login(request)
    return _back_to_user(target, "revoked")


async def _reset_mfa(console: Console, request: Request, me: Principal) -> Response:
    """The same service call as `DELETE /api/v1/users/{id}/mfa`."""
    target = _uuid(request.path_params["id"])
    await console.require(request, me, Action.USERS_MFA_RESET, target=target)
    if target is None:
        raise _Refused(404, "No such user.")
    await console.module.users.reset_mfa(me.ref, target, console.context(request))
    return _back_to_user(target, "mfa")


async def _new_user_form(console: Console, request: Request, me: Principal) -> Response:
    return console.render(
        request, "new_user.html", principal=me, title="New user", roles=ROLES, values={}, errors={}
    )


async def _create_user(console: Console, request: Request, me: Principal) -> Response:
    form: dict[str, str] = request.state.form
    values = {k: form.get(k, "") for k in ("email", "name", "role", "password")}
    await console.require(request, me, Action.USERS_CREATE, fields=tuple(values))
    try:
        user = await console.module.users.create(
            me.ref,
            email=values["email"],
            name=values["name"],
            password=values["password"],
            role=values["role"],
            ctx=console.context(request),
        )
    except (Invalid, Conflict) as refused:
        errors = _field_errors(refused) if isinstance(refused, Invalid) else {"email": str(refused)}
        shown = {k: v for k, v in values.items() if k != "password"}
        return console.render(
            request,
            "new_user.html",
            409 if isinstance(refused, Conflict) else 422,
            principal=me,
            title="New user",
            roles=ROLES,
            values=shown,
            errors=errors,
        )
    return _back_to_user(user.id, "created")


# --- sessions --------------------------------------------------------------------------------


async def _sessions(console: Console, request: Request, me: Principal) -> Response:
    """Every live session for admins; a viewer (who may list only their own) sees theirs."""
    users = console.module.users
    page_no = _page_number(request.query_params.get("page"))
    window = Window(limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    if _allowed(me, Action.SESSIONS_LIST_LIVE):
        await console.require(request, me, Action.SESSIONS_LIST_LIVE)
        found = await users.live_sessions(window)
        everyone = True
    else:
        await console.require(request, me, Action.USERS_SESSIONS_LIST, target=me.user.id)
        found = await users.sessions(me.user.id, window)
        everyone = False
    emails: dict[UUID, str] = {}
    for item in found.items:
        if item.user_id not in emails:
            try:
                emails[item.user_id] = (await users.get(item.user_id)).email
            except NotFound:
                emails[item.user_id] = str(item.user_id)
    last = max(1, -(-found.total // PAGE_SIZE))
    return console.render(
        request,
        "sessions.html",
        principal=me,
        title="Sessions",
        sessions=found.items,
        emails=emails,
        everyone=everyone,
        total=found.total,
        page=page_no,
        prev_url=_url("/admin/sessions", {}, page_no - 1) if page_no > 1 else None,
        next_url=_url("/admin/sessions", {}, page_no + 1) if page_no < last else None,
        notice=NOTICES.get(request.query_params.get("done", "")),
        me_session=me.session.id,
    )


async def _revoke_session(console: Console, request: Request, me: Principal) -> Response:
    form: dict[str, str] = request.state.form
    session_id = _uuid(request.path_params["sid"])
    owner = _uuid(form.get("user_id", ""))
    await console.require(request, me, Action.USERS_SESSIONS_REVOKE, target=owner)
    if session_id is None or owner is None:
        raise _Refused(404, "No such session.")
    await console.module.users.revoke_session(me.ref, owner, session_id, console.context(request))
    if session_id == me.session.id:
        return console.to_login(request)
    return RedirectResponse("/admin/sessions?done=session", status_code=303)


# --- audit log -------------------------------------------------------------------------------


async def _audit(console: Console, request: Request, me: Principal) -> Response:
    await console.require(request, me, Action.AUDIT_LIST)
    query = request.query_params
    event_type = query.get("event_type", "").strip()[:64]
    actor = query.get("actor", "").strip()[:254]
    since_text = query.get("since", "").strip()[:40]
    errors: dict[str, str] = {}
    since = None
    if since_text:
        since = _since(since_text)
        if since is None:
            errors["since"] = "is not a date (YYYY-MM-DD) or an ISO-8601 date and time"
    page_no = _page_number(query.get("page"))
    window = Window(limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    where = AuditFilter(event_type=event_type or None, actor=actor or None, since=since)
    found = await console.module.users.audit(where, window)
    kept = {
        k: v for k, v in (("event_type", event_type), ("actor", actor), ("since", since_text)) if v
    }
    last = max(1, -(-found.total // PAGE_SIZE))
    return console.render(
        request,
        "audit.html",
        422 if errors else 200,
        principal=me,
        title="Audit log",
        events=found.items,
        total=found.total,
        event_type=event_type,
        actor=actor,
        since=since_text,
        errors=errors,
        event_types=_EVENT_TYPES,
        page=page_no,
        prev_url=_url("/admin/audit", kept, page_no - 1) if page_no > 1 else None,
        next_url=_url("/admin/audit", kept, page_no + 1) if page_no < last else None,
    )


def _since(text: str) -> datetime | None:
    """A date (midnight UTC) or an ISO-8601 date and time; None when it is neither."""
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), tzinfo=UTC)
    except ValueError:
        pass
    moment = parse_date_time(text, field="since")
    return None if isinstance(moment, FieldError) else moment


# --- status ----------------------------------------------------------------------------------


async def _status(console: Console, request: Request, me: Principal) -> Response:
    view = await gather_status(console.system)
    template = "status_panel.html" if request.url.path.endswith("/panel") else "status.html"
    return console.render(
        request, template, principal=me, title="Status", view=view, now=datetime.now(UTC)
    )


# --- helpers ---------------------------------------------------------------------------------


def _allowed(principal: Principal, action: Action, target: UUID | None = None) -> bool:
    """What the permission table says, for deciding what to show (no audit: nothing done)."""
    decision = permissions.decide(action, principal.actor, target_user_id=target)
    return isinstance(decision, permissions.Allow)


async def _form(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body; the first value of each field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), 1_000_000))
    except ValueError:
        return 1


def _url(path: str, kept: Mapping[str, str], page_no: int) -> str:
    params = {**kept, **({"page": str(page_no)} if page_no > 1 else {})}
    return f"{path}?{urlencode(params)}" if params else path


def _back_to_user(user_id: UUID, done: str) -> Response:
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


def _field_errors(invalid: Invalid) -> dict[str, str]:
    return {error.field: error.message for error in invalid.errors}


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else format_timestamp(moment)


_EVENT_TYPES: Final = (
    "login_succeeded",
    "login_failed",
    "logout",
    "account_locked",
    "account_unlocked",
    "user_created",
    "user_updated",
    "user_deleted",
    "user_erased",
    "password_changed",
    "session_revoked",
    "mfa_enabled",
    "mfa_disabled",
    "mfa_failed",
    "access_denied",
)


def create_console_app(system: System) -> Starlette:
    """The console as an ASGI app, mounted at `/admin` by `create_api_app`."""
    static = StaticFiles(directory=str(resources.files(_STATIC).joinpath("static")))
    routes = [
        Route("/", page(_home)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", page(_logout), methods=["POST"]),
        Route("/users", page(_users)),
        Route("/users/new", page(_new_user_form), methods=["GET"]),
        Route("/users/new", page(_create_user), methods=["POST"]),
        Route("/users/{id}", page(_user)),
        Route("/users/{id}/active", page(_set_active), methods=["POST"]),
        Route("/users/{id}/role", page(_set_role), methods=["POST"]),
        Route("/users/{id}/sessions/revoke", page(_revoke_sessions), methods=["POST"]),
        Route("/users/{id}/mfa/reset", page(_reset_mfa), methods=["POST"]),
        Route("/sessions", page(_sessions)),
        Route("/sessions/{sid}/revoke", page(_revoke_session), methods=["POST"]),
        Route("/audit", page(_audit)),
        Route("/status", page(_status)),
        Route("/status/panel", page(_status)),
        Mount("/static", app=static, name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.console = Console(system)
    return app
