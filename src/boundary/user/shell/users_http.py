"""`/api/v1/users*` and `/api/v1/audit-events` routes (shell): request → guard → service → schema.

No business rules here. Every route authenticates (`Caller`, 401), asks `guard` (the core
permission table is the single authority; a 403 is audited), then calls `UserService`.

* Write bodies are read as a raw JSON object so the guard decides on the keys the client sent
  before anything is validated: a user PATCHing their own `role` is 403, never 422, and a
  non-admin learns nothing from validation errors. Invalid JSON is 400; JSON that is not an
  object, or fails the schema or the core policy, is 422 with `errors`.
* A path id that is not a UUID is 404, like a missing or deleted user (ids are no oracle);
  the guard still runs first, so a non-admin gets the same 403 as for a real id.
* Listings answer `{items, total, limit, offset}` with an RFC 5988 `Link` header (relative
  URLs, the other query parameters kept).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ValidationError

from boundary.http.errors import ProblemException, validation_field_errors
from boundary.kernel.pagination import Window, page_links
from boundary.kernel.problems import FieldError, standard_problem
from boundary.user.core.model import AuditFilter, Role, UserFilter
from boundary.user.core.permissions import Action
from boundary.user.shell.errors import Invalid, NotFound
from boundary.user.shell.http_deps import Caller, Context, Module, guard
from boundary.user.shell.schemas import UserOut
from boundary.user.shell.users_schemas import (
    AuditEventOut,
    AuditListResponse,
    SessionListResponse,
    SessionOut,
    UserCreateRequest,
    UserListResponse,
    UserPatchRequest,
)

router = APIRouter(prefix="/api/v1", tags=["users"])

_PROBLEM: Final[dict[str, Any]] = {"content": {"application/problem+json": {}}}
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"description": "Missing, invalid or expired credentials.", **_PROBLEM},
    403: {"description": "The caller's role may not do this (audited).", **_PROBLEM},
}
_NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: {"description": "No such user (or soft-deleted, or not a UUID).", **_PROBLEM}
}
_INVALID: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "The body is not valid JSON.", **_PROBLEM},
    422: {"description": "Invalid input; `errors` names the fields.", **_PROBLEM},
}

Limit = Annotated[int, Query(ge=1, le=100, description="page size, 1–100")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body the route reads itself (see the module docstring)."""
    schema = {"content": {"application/json": {"schema": model.model_json_schema()}}}
    return {"requestBody": {**schema, "required": True}}


async def _json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object: 400 when it is not JSON, 422 when it is not an object."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProblemException(
            standard_problem(400, detail="The request body is not valid JSON.")
        ) from None
    if not isinstance(body, dict):
        raise Invalid([FieldError(field="body", message="must be a JSON object")])
    return body


UserIdPath = Annotated[str, Path(alias="id", description="The user's id (a UUID).")]
"""The `{id}` of `/users/{id}` (§13's metric tag `path:/api/v1/users/{id}` is this template)."""


def _user_id(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


def _existing(user_id: UUID | None) -> UUID:
    """The id, once the guard has passed; a malformed one names no user."""
    if user_id is None:
        raise NotFound()
    return user_id


def _link(response: Response, request: Request, window: Window, total: int) -> None:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"limit", "offset"}]
    response.headers["Link"] = page_links(request.url.path, kept, window, total)


@router.post(
    "/users",
    summary="Create a user (admin)",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses={**_ERRORS, **_INVALID, 409: {"description": "Email already registered."}},
    openapi_extra=_body_doc(UserCreateRequest),
)
async def create_user(
    request: Request, response: Response, caller: Caller, module: Module, ctx: Context
) -> UserOut:
    body = await _json_object(request)
    await guard(request, caller, Action.USERS_CREATE, fields=body)
    try:
        fields = UserCreateRequest.model_validate(body)
    except ValidationError as exc:
        raise Invalid(validation_field_errors(exc.errors())) from None
    user = await module.users.create(
        caller.ref,
        email=fields.email,
        name=fields.name,
        password=fields.password,
        role=fields.role,
        ctx=ctx,
    )
    response.headers["Location"] = f"{router.prefix}/users/{user.id}"
    return UserOut.of(user)


@router.get(
    "/users",
    summary="List users (admin, viewer)",
    response_model=UserListResponse,
    responses=_ERRORS,
)
async def list_users(
    request: Request,
    response: Response,
    caller: Caller,
    module: Module,
    limit: Limit = 20,
    offset: Offset = 0,
    role: Annotated[Role | None, Query(description="only this role")] = None,
    active: Annotated[bool | None, Query(description="true or false")] = None,
    q: Annotated[
        str | None, Query(max_length=254, description="substring of email or name")
    ] = None,
) -> UserListResponse:
    await guard(request, caller, Action.USERS_LIST)
    window = Window(limit=limit, offset=offset)
    page = await module.users.list(UserFilter(role=role, active=active, q=q or None), window)
    _link(response, request, window, page.total)
    items = [UserOut.of(user) for user in page.items]
    return UserListResponse(items=items, total=page.total, limit=limit, offset=offset)


@router.get(
    "/users/{id}",
    summary="Read one user (admin, viewer, self)",
    response_model=UserOut,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def get_user(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module
) -> UserOut:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_READ, target_user_id=target)
    return UserOut.of(await module.users.get(_existing(target)))


@router.patch(
    "/users/{id}",
    summary="Update name, role or active (admin; self for name)",
    response_model=UserOut,
    responses={
        **_ERRORS,
        **_NOT_FOUND,
        **_INVALID,
        409: {"description": "The change would leave no active admin.", **_PROBLEM},
    },
    openapi_extra=_body_doc(UserPatchRequest),
)
async def update_user(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module, ctx: Context
) -> UserOut:
    target = _user_id(user_id)
    body = await _json_object(request)
    await guard(request, caller, Action.USERS_UPDATE, target_user_id=target, fields=body)
    user = await module.users.update(caller.ref, _existing(target), body, ctx)
    return UserOut.of(user)


@router.delete(
    "/users/{id}",
    summary="Soft-delete a user and revoke their sessions (admin)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        **_ERRORS,
        **_NOT_FOUND,
        409: {
            "description": "An actor cannot delete their own account, nor the last active admin.",
            **_PROBLEM,
        },
    },
)
async def delete_user(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module, ctx: Context
) -> Response:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_DELETE, target_user_id=target)
    await module.users.delete(caller.ref, _existing(target), ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/{id}/sessions",
    summary="List a user's sessions, newest first (admin, self)",
    response_model=SessionListResponse,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def list_sessions(
    request: Request,
    response: Response,
    user_id: UserIdPath,
    caller: Caller,
    module: Module,
    limit: Limit = 20,
    offset: Offset = 0,
) -> SessionListResponse:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_SESSIONS_LIST, target_user_id=target)
    window = Window(limit=limit, offset=offset)
    page = await module.users.sessions(_existing(target), window)
    _link(response, request, window, page.total)
    items = [SessionOut.of(session) for session in page.items]
    return SessionListResponse(items=items, total=page.total, limit=limit, offset=offset)


@router.delete(
    "/users/{id}/sessions",
    summary="Revoke all of a user's sessions (admin, self)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def revoke_sessions(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module, ctx: Context
) -> Response:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_SESSIONS_REVOKE, target_user_id=target)
    await module.users.revoke_sessions(caller.ref, _existing(target), ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/users/{id}/mfa",
    summary="Reset a user's MFA: off, backup codes deleted (admin; audited)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_ERRORS, **_NOT_FOUND},
)
async def reset_mfa(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module, ctx: Context
) -> Response:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_MFA_RESET, target_user_id=target)
    await module.users.reset_mfa(caller.ref, _existing(target), ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/audit-events",
    summary="The audit log, newest first (admin)",
    response_model=AuditListResponse,
    responses={**_ERRORS, 422: _INVALID[422]},
)
async def list_audit_events(
    request: Request,
    response: Response,
    caller: Caller,
    module: Module,
    limit: Limit = 20,
    offset: Offset = 0,
    event_type: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=254, description="user id or email")] = None,
    since: Annotated[
        datetime | None, Query(description="ISO-8601, e.g. 2026-01-03T12:00:00Z")
    ] = None,
) -> AuditListResponse:
    await guard(request, caller, Action.AUDIT_LIST)
    window = Window(limit=limit, offset=offset)
    where = AuditFilter(event_type=event_type or None, actor=actor or None, since=_utc(since))
    page = await module.users.audit(where, window)
    _link(response, request, window, page.total)
    items = [AuditEventOut.of(event) for event in page.items]
    return AuditListResponse(items=items, total=page.total, limit=limit, offset=offset)


def _utc(moment: datetime | None) -> datetime | None:
    """A timestamp without an offset is read as UTC, like every timestamp Boundary writes."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
