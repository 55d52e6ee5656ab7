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
* Every string query parameter is a `Text` (no control characters, 422 naming it otherwise);
  `responses=` lists every answer a route gives (`http.openapi`), so the OpenAPI document
  says what the server does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import ValidationError

from boundary.http import openapi
from boundary.http.caller import Caller, Context, Module, guard
from boundary.http.json_body import body_doc, field_errors, json_object
from boundary.http.openapi import EVERY_ROUTE, INVALID, WITH_BODY, Responses, problem
from boundary.http.schemas.common import Text, UserOut, json_bytes, user_json
from boundary.http.schemas.users import (
    AuditEventOut,
    AuditListResponse,
    SessionListResponse,
    SessionOut,
    UserCreateRequest,
    UserListResponse,
    UserPatchRequest,
)
from boundary.kernel.pagination import Window, page_links
from boundary.kernel.problems import FieldError
from boundary.user.core.errors import Invalid, NotFound, UserNotFound
from boundary.user.core.model import AuditFilter, Role, UserFilter
from boundary.user.core.permissions import Action
from boundary.user.core.validation import DATE_TIME_EXAMPLE, parse_date_time

router = APIRouter(prefix="/api/v1", tags=["users"], responses=EVERY_ROUTE)

JSON: Final = "application/json"
MAX_OFFSET: Final = 1_000_000_000
MAX_Q_LENGTH: Final = 254
"""The longest `q` a listing accepts (the fast path reads it from here too)."""
_ERRORS: Final[Responses] = {
    401: problem(
        "Missing, invalid or expired credentials.",
        {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    ),
    403: problem("The caller's role may not do this (audited)."),
}
_NOT_FOUND: Final[Responses] = {404: problem("No such user (or soft-deleted, or not a UUID).")}
_LAST_ADMIN = "it would leave no active admin"
_CONFLICT_ON_UPDATE: Final[Responses] = {
    409: problem(
        f"Refused: the new email is already registered (also by a deleted account), or "
        f"{_LAST_ADMIN} (demoting or deactivating the last one)."
    )
}
_CONFLICT_ON_DELETE: Final[Responses] = {
    409: problem(f"Refused: an actor cannot delete (or erase) their own account, or {_LAST_ADMIN}.")
}
_LINK = {"Link": {"description": "RFC 5988 first, prev, next, last.", "schema": {"type": "string"}}}

Limit = Annotated[int, Query(ge=1, le=100, description="page size, 1–100")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]


def _listing(description: str) -> Responses:
    """The 200 of a paginated listing, with its `Link` and rate-limit headers."""
    answer = openapi.with_rate_limit_headers(description)
    answer["headers"].update(_LINK)
    return {200: answer}


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
        raise UserNotFound()
    return user_id


def _link(response: Response, request: Request, window: Window, total: int) -> None:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"limit", "offset"}]
    response.headers["Link"] = page_links(request.url.path, kept, window, total)


@router.post(
    "/users",
    summary="Create a user (admin)",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses={
        201: {
            "description": "Created; `Location` names the new user.",
            "headers": {
                "Location": {"description": "/api/v1/users/{id}", "schema": {"type": "string"}},
                **openapi.RATE_LIMIT_HEADERS,
            },
        },
        **_ERRORS,
        **WITH_BODY,
        409: problem("Email already registered (also by a deleted account)."),
    },
    openapi_extra=body_doc(UserCreateRequest),
)
async def create_user(
    request: Request, response: Response, caller: Caller, module: Module, ctx: Context
) -> UserOut:
    body = await json_object(request)
    await guard(request, caller, Action.USERS_CREATE, fields=body)
    try:
        fields = UserCreateRequest.model_validate(body)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from None
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
    responses={**_listing("One page of users."), **_ERRORS, **INVALID},
)
async def list_users(
    request: Request,
    caller: Caller,
    module: Module,
    limit: Limit = 20,
    offset: Offset = 0,
    role: Annotated[Role | None, Query(description="only this role")] = None,
    active: Annotated[bool | None, Query(description="true or false")] = None,
    q: Annotated[
        Text | None, Query(max_length=MAX_Q_LENGTH, description="substring of email or name")
    ] = None,
) -> Response:
    await guard(request, caller, Action.USERS_LIST)
    window = Window(limit=limit, offset=offset)
    page = await module.users.list(UserFilter(role=role, active=active, q=q or None), window)
    body = {
        "items": [user_json(user) for user in page.items],
        "total": page.total,
        "limit": limit,
        "offset": offset,
    }
    answer = Response(json_bytes(body), media_type=JSON)
    _link(answer, request, window, page.total)
    return answer


@router.get(
    "/users/{id}",
    summary="Read one user (admin, viewer, self)",
    response_model=UserOut,
    responses={**_ERRORS, **_NOT_FOUND, **INVALID},
)
async def get_user(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module
) -> Response:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_READ, target_user_id=target)
    user = await module.users.get(_existing(target))
    return Response(json_bytes(user_json(user)), media_type=JSON)


@router.patch(
    "/users/{id}",
    summary="Update email, name, role or active (admin; self for name)",
    response_model=UserOut,
    responses={**_ERRORS, **_NOT_FOUND, **_CONFLICT_ON_UPDATE, **WITH_BODY},
    openapi_extra=body_doc(UserPatchRequest),
)
async def update_user(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module, ctx: Context
) -> UserOut:
    target = _user_id(user_id)
    body = await json_object(request)
    await guard(request, caller, Action.USERS_UPDATE, target_user_id=target, fields=body)
    user = await module.users.update(caller.ref, _existing(target), body, ctx)
    return UserOut.of(user)


@router.delete(
    "/users/{id}",
    summary="Soft-delete a user and revoke their sessions, or erase them (admin)",
    description=(
        "Without `erase`: a soft delete — the account can no longer sign in, its sessions are"
        " revoked, the row and its email stay. With `erase=true`: erasure — the row is"
        " anonymised (email, name, password, MFA), its sessions, backup codes, mail and reset"
        " or verification tokens deleted, and the audit rows keep the account under a"
        " pseudonymous address; the email can be registered again. A soft-deleted user can"
        " still be erased."
    ),
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_ERRORS, **_NOT_FOUND, **_CONFLICT_ON_DELETE, **INVALID},
)
async def delete_user(
    request: Request,
    user_id: UserIdPath,
    caller: Caller,
    module: Module,
    ctx: Context,
    erase: Annotated[
        bool, Query(description="true: erase (anonymise) the user instead of a soft delete")
    ] = False,
) -> Response:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_DELETE, target_user_id=target)
    if erase:
        await module.users.erase(caller.ref, _existing(target), ctx)
    else:
        await module.users.delete(caller.ref, _existing(target), ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/{id}/sessions",
    summary="List a user's sessions, newest first (admin, self)",
    response_model=SessionListResponse,
    responses={**_listing("One page of sessions."), **_ERRORS, **_NOT_FOUND, **INVALID},
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
    mine = caller.session.id
    items = [SessionOut.of(session, current_session_id=mine) for session in page.items]
    return SessionListResponse(items=items, total=page.total, limit=limit, offset=offset)


@router.delete(
    "/users/{id}/sessions",
    summary="Revoke all of a user's sessions (admin, self)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_ERRORS, **_NOT_FOUND, **INVALID},
)
async def revoke_sessions(
    request: Request, user_id: UserIdPath, caller: Caller, module: Module, ctx: Context
) -> Response:
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_SESSIONS_REVOKE, target_user_id=target)
    await module.users.revoke_sessions(caller.ref, _existing(target), ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


SessionIdPath = Annotated[str, Path(alias="sid", description="The session's id (a UUID).")]
_NO_SESSION: Final[Responses] = {
    404: problem("No such user, or the session is not one of theirs (or the id is not a UUID).")
}


@router.delete(
    "/users/{id}/sessions/{sid}",
    summary="Revoke one of a user's sessions (admin, self)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_ERRORS, **_NO_SESSION, **INVALID},
)
async def revoke_session(
    request: Request,
    user_id: UserIdPath,
    session_id: SessionIdPath,
    caller: Caller,
    module: Module,
    ctx: Context,
) -> Response:
    # A session already revoked answers 204 again, and nothing is written or audited twice.
    target = _user_id(user_id)
    await guard(request, caller, Action.USERS_SESSIONS_REVOKE, target_user_id=target)
    sid = _user_id(session_id)
    if sid is None:
        raise NotFound("no such session")
    await module.users.revoke_session(caller.ref, _existing(target), sid, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/users/{id}/mfa",
    summary="Reset a user's MFA: off, backup codes deleted (admin; audited)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_ERRORS, **_NOT_FOUND, **INVALID},
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
    responses={**_listing("One page of audit events."), **_ERRORS, **INVALID},
)
async def list_audit_events(
    request: Request,
    response: Response,
    caller: Caller,
    module: Module,
    limit: Limit = 20,
    offset: Offset = 0,
    event_type: Annotated[Text | None, Query(max_length=64)] = None,
    actor: Annotated[Text | None, Query(max_length=254, description="user id or email")] = None,
    since: Annotated[
        Text | None,
        Query(
            max_length=40,
            description=f"ISO-8601 date and time, e.g. {DATE_TIME_EXAMPLE}; no offset means UTC",
            json_schema_extra={"format": "date-time"},
        ),
    ] = None,
) -> AuditListResponse:
    await guard(request, caller, Action.AUDIT_LIST)
    window = Window(limit=limit, offset=offset)
    where = AuditFilter(event_type=event_type or None, actor=actor or None, since=_since(since))
    page = await module.users.audit(where, window)
    _link(response, request, window, page.total)
    items = [AuditEventOut.of(event) for event in page.items]
    return AuditListResponse(items=items, total=page.total, limit=limit, offset=offset)


def _since(raw: str | None) -> datetime | None:
    """The `since` filter as a UTC datetime; 422 for anything but an ISO-8601 date-time."""
    if raw is None:
        return None
    moment = parse_date_time(raw, field="since")
    if isinstance(moment, FieldError):
        raise Invalid([moment])
    return moment
