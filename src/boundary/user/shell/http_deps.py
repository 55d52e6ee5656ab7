"""FastAPI dependencies of the user module (shell): the caller, the request context, the guard.

Routers reach services through these short `Annotated` aliases that read `request.app.state`,
never through module globals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from structlog.contextvars import bind_contextvars

from boundary.user.core import permissions
from boundary.user.core.audit import RequestContext, access_denied, user_resource
from boundary.user.shell.authn import Principal
from boundary.user.shell.errors import Forbidden, Unauthenticated

if TYPE_CHECKING:
    from boundary.user.shell.module import UserModule


def user_module(request: Request) -> UserModule:
    module: UserModule = request.app.state.system.user
    return module


def request_context(request: Request) -> RequestContext:
    """Who is asking from where, for audit rows: client ip, user agent, correlation id."""
    state = request.scope.get("state") or {}
    client = request.scope.get("client")
    return RequestContext(
        ip=state.get("client_ip") or (client[0] if client else None),
        user_agent=request.headers.get("user-agent"),
        correlation_id=state.get("correlation_id"),
    )


BEARER = HTTPBearer(
    auto_error=False, description="An access token from POST /api/v1/auth/login or /refresh."
)
"""Declares the bearer scheme in OpenAPI (the docs' "Authorize"); the header is read below."""


async def current_principal(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """The authenticated caller (401 otherwise); also tells the access log and the log
    context who it was."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing_token")
    principal = await user_module(request).authenticator.authenticate(token.strip())
    user_id = str(principal.user.id)
    request.scope.setdefault("state", {})["user_id"] = user_id
    # Every log event of this request from here on (operations, errors) names the caller; the
    # request runs in its own task, so the binding ends with it.
    bind_contextvars(user_id=user_id)
    return principal


Module = Annotated["UserModule", Depends(user_module)]
Context = Annotated[RequestContext, Depends(request_context)]
Caller = Annotated[Principal, Depends(current_principal)]


async def guard(
    request: Request,
    caller: Principal | None,
    action: permissions.Action,
    *,
    target_user_id: UUID | None = None,
    fields: Iterable[str] = (),
) -> None:
    """Apply the permission table; a 403 is audited as `access_denied` in its own unit."""
    names = frozenset(fields)
    actor = caller.actor if caller is not None else None
    decision = permissions.decide(action, actor, target_user_id=target_user_id, fields=names)
    if isinstance(decision, permissions.Allow):
        return
    if decision.reason == "unauthenticated" or caller is None:
        raise Unauthenticated("anonymous")
    module = user_module(request)
    event = access_denied(
        actor=caller.ref,
        action=action.value,
        ctx=request_context(request),
        now=module.clock.now(),
        resource=user_resource(target_user_id) if target_user_id else None,
        fields=names,
    )
    async with module.units() as unit:
        await unit.audit.append(event)
        await unit.commit()
    raise Forbidden()


def body_fields(body: Any) -> frozenset[str]:
    """The top-level keys a JSON body sent (what PATCH permissions are decided on)."""
    return frozenset(body) if isinstance(body, dict) else frozenset()
