"""Who is calling (HTTP shell): FastAPI dependencies for the authenticated caller, the request
context audit rows need, and the permission check every route makes first.

Routers reach services through these short `Annotated` aliases that read `request.app.state`,
never through module globals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from structlog.contextvars import bind_contextvars

from boundary.http.errors import VERIFIED_BEARER_STATE_KEY
from boundary.user.core import permissions
from boundary.user.core.audit import RequestContext
from boundary.user.core.errors import Unauthenticated
from boundary.user.shell.authn import Principal

if TYPE_CHECKING:
    from boundary.user.shell.module import UserModule


def module_of(request: Request) -> UserModule:
    module: UserModule = request.app.state.system.user
    return module


async def user_module(request: Request) -> UserModule:
    """The `Module` dependency. `async` on purpose: FastAPI runs a plain `def` dependency in
    its thread pool, a thread hop on every request for a dictionary lookup."""
    return module_of(request)


async def request_context(request: Request) -> RequestContext:
    """The `Context` dependency (`async`: see `user_module`)."""
    return context_of(request)


def context_of(request: Request) -> RequestContext:
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
    token = token.strip()
    verified = request.scope.get("state", {}).get(VERIFIED_BEARER_STATE_KEY)
    principal = await module_of(request).authenticator.authenticate(
        token, verified=verified[1] if verified and verified[0] == token else None
    )
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
    """The permission check every route makes first (`AccessControl.require`): 401 for the
    anonymous, an audited 403 for a role that may not."""
    await module_of(request).access.require(
        caller, action, context_of(request), target_user_id=target_user_id, fields=fields
    )
