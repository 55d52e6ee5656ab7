"""The three hottest reads without the framework's per-request machinery (HTTP shell).

`GET /api/v1/auth/me`, `GET /api/v1/users/{id}` and `GET /api/v1/users` (page, role, active
and q filters) are most of an API's traffic and the cheapest work it does: a cached session,
a cached user or one listing statement. Through FastAPI each paid for routing across every
route, the dependency solver, and three framework middleware layers: more than half of the
request's CPU in profiles. Here the successful answer is built from the same parts the routes
use — the authenticator, the permission table (`permissions.decide`), the user service, the
JSON encoders — and sent directly.

Only the plain success is answered here. Anything else goes the full way, unchanged, and the
route answers it as it always has: no or a refused token, a role that may not (the 403 is
audited by the route's guard, never here), an unknown user, a query this layer does not read
exactly as the route would (repeated or unusual values such as `active=1`, a `q` the route
refuses), or any failure (a database outage becomes the route's 503 problem). These requests
are GETs without a body, so running the route after a refusal here repeats no effect. The
routes stay the definition: OpenAPI, validation and every error come from them, and a test
holds both ways' answers equal.

It sits inside the rate limiter (whose verified token it reuses) and the edge, which logs,
counts and heads the response as for any route: `scope["route"]` carries the template.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl
from uuid import UUID

from starlette.types import ASGIApp, Receive, Scope, Send
from structlog.contextvars import bind_contextvars

from boundary.http.errors import VERIFIED_BEARER_STATE_KEY
from boundary.http.ops_app import OpsRoute
from boundary.http.routes.auth import NO_STORE
from boundary.http.routes.users import MAX_OFFSET, MAX_Q_LENGTH
from boundary.http.schemas.common import json_bytes, user_json
from boundary.kernel.pagination import Window, page_links
from boundary.user.core import permissions
from boundary.user.core.model import ROLES, UserFilter
from boundary.user.core.permissions import Action
from boundary.user.core.text import has_control_characters

if TYPE_CHECKING:
    from boundary.user.shell.authn import Principal
    from boundary.user.shell.module import UserModule

Headers = list[tuple[bytes, bytes]]
Answer = tuple[bytes, Headers]
"""The body of a 200 and its headers beyond `content-length` and `content-type`."""
Handler = Callable[[Scope, "Principal"], Awaitable[Answer | None]]

ME: Final = "/api/v1/auth/me"
USERS: Final = "/api/v1/users"
ONE_USER: Final = re.compile(r"/api/v1/users/([0-9a-fA-F-]{32,36})")
ME_ROUTE: Final = OpsRoute(ME)
USERS_ROUTE: Final = OpsRoute(USERS)
ONE_USER_ROUTE: Final = OpsRoute("/api/v1/users/{id}")
"""What the edge reads as each request's route template (as from the routes themselves)."""
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_BOOLS: Final = {"true": True, "false": False}
_MAX_LIMIT: Final = 100
_JSON: Final = (b"content-type", b"application/json")


class FastReads:
    """ASGI layer in front of the API's FastAPI app; see the module docstring."""

    def __init__(self, app: ASGIApp, module: UserModule) -> None:
        self.app = app
        self._module = module

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            found = self._handler(scope["path"])
            if found is not None:
                handler, route = found
                answer = await self._answer(scope, handler)
                if answer is not None:
                    scope["route"] = route
                    await _send(send, *answer)
                    return
        await self.app(scope, receive, send)

    def _handler(self, path: str) -> tuple[Handler, OpsRoute] | None:
        if path == ME:
            return self._me, ME_ROUTE
        if path == USERS:
            return self._list, USERS_ROUTE
        if path.startswith(USERS) and ONE_USER.fullmatch(path):
            return self._one, ONE_USER_ROUTE
        return None

    async def _answer(self, scope: Scope, handler: Handler) -> Answer | None:
        """The handler's answer for an authenticated caller, or None: the full way."""
        try:
            principal = await self._principal(scope)
            if principal is None:
                return None
            answer = await handler(scope, principal)
        except Exception:  # the route meets the same failure and answers it (module docstring)
            return None
        if answer is not None:
            user_id = str(principal.user.id)
            scope.setdefault("state", {})["user_id"] = user_id
            bind_contextvars(user_id=user_id)
        return answer

    async def _principal(self, scope: Scope) -> Principal | None:
        verified = scope.get("state", {}).get(VERIFIED_BEARER_STATE_KEY)
        if not verified:  # no bearer token the limiter could verify: the route says why
            return None
        token, claims = verified
        return await self._module.authenticator.authenticate(token, verified=claims)

    async def _me(self, scope: Scope, caller: Principal) -> Answer | None:
        if not _allowed(Action.AUTH_ME, caller):
            return None
        return json_bytes(user_json(caller.user)), [(b"cache-control", NO_STORE.encode())]

    async def _one(self, scope: Scope, caller: Principal) -> Answer | None:
        target = UUID(scope["path"][len(USERS) + 1 :])
        if not _allowed(Action.USERS_READ, caller, target):
            return None
        user = await self._module.users.get(target)
        return json_bytes(user_json(user)), []

    async def _list(self, scope: Scope, caller: Principal) -> Answer | None:
        query = _listing_query(scope.get("query_string", b"").decode("latin-1"))
        if query is None or not _allowed(Action.USERS_LIST, caller):
            return None
        window, where, kept = query
        page = await self._module.users.list(where, window)
        body = {
            "items": [user_json(user) for user in page.items],
            "total": page.total,
            "limit": window.limit,
            "offset": window.offset,
        }
        link = page_links(USERS, kept, window, page.total)
        return json_bytes(body), [(b"link", link.encode("latin-1"))]


def _allowed(action: Action, caller: Principal, target: UUID | None = None) -> bool:
    decision = permissions.decide(action, caller.actor, target_user_id=target)
    return isinstance(decision, permissions.Allow)


def _listing_query(raw: str) -> tuple[Window, UserFilter, list[tuple[str, str]]] | None:
    """The page, filters and other parameters (kept in `Link`) when every listing parameter
    has the plain form whose meaning is certain; None sends the request the full way."""
    pairs = parse_qsl(raw, keep_blank_values=True)
    values: dict[str, str] = {}
    kept: list[tuple[str, str]] = []
    for key, value in pairs:
        if key in values:
            return None
        if key in ("limit", "offset", "role", "active", "q"):
            values[key] = value
        if key not in ("limit", "offset"):
            kept.append((key, value))
    limit = _number(values.get("limit", "20"))
    offset = _number(values.get("offset", "0"))
    role = values.get("role")
    active = values.get("active")
    q = values.get("q")
    if (
        limit is None
        or not 1 <= limit <= _MAX_LIMIT
        or offset is None
        or offset > MAX_OFFSET
        or (role is not None and role not in ROLES)
        or (active is not None and active not in _BOOLS)
        or (q is not None and (len(q) > MAX_Q_LENGTH or has_control_characters(q)))
    ):
        return None
    where = UserFilter(role=role, active=None if active is None else _BOOLS[active], q=q or None)
    return Window(limit=limit, offset=offset), where, kept


def _number(text: str) -> int | None:
    return int(text) if _DIGITS.fullmatch(text) else None


async def _send(send: Send, body: bytes, headers: Headers) -> None:
    head: list[Any] = [(b"content-length", str(len(body)).encode()), _JSON, *headers]
    await send({"type": "http.response.start", "status": 200, "headers": head})
    await send({"type": "http.response.body", "body": body})
