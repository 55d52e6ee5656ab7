"""`/api/v1/auth/*` routes (shell): schema in → guard → service → schema out.

No business rules here: every route asks `guard` first (the permission table in
`user.core.permissions` is the single authority, anonymous routes pass `caller=None`), then
calls `AuthService`. Responses that carry tokens or user data say `Cache-Control: no-store`
themselves (the edge adds it too when absent).

Login reads its body itself: a login refused for invalid input (a NUL in the email, say) is
still audited as `login_failed` before the 422 (`AuthService.refuse_invalid_login`).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from boundary.http import openapi
from boundary.http.caller import Caller, Context, Module, guard
from boundary.http.json_body import body_doc, field_errors, json_object
from boundary.http.openapi import EVERY_ROUTE, WITH_BODY, Responses, problem
from boundary.http.schemas.auth import (
    LoginRequest,
    LoginResponse,
    MfaCodeRequest,
    MfaEnableResponse,
    MfaSetupResponse,
    MfaStatusResponse,
    PasswordChangeRequest,
    RefreshRequest,
    RefreshResponse,
)
from boundary.http.schemas.common import UserOut, json_bytes, user_json
from boundary.user.core.permissions import Action

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=EVERY_ROUTE)

NO_STORE: Final = "no-store"
_CHALLENGE = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
UNAUTHENTICATED: Final[Responses] = {
    401: problem("Missing, invalid or expired credentials.", _CHALLENGE)
}
CONFLICT: Final[Responses] = {409: problem("MFA is not in a state that allows this step.")}
LOGIN_REFUSED: Final[Responses] = {
    401: problem(
        "Login failed: one generic problem for every cause; after a right password with MFA "
        "on and a missing or wrong code, the problem type ends in `mfa-required`.",
        _CHALLENGE,
    )
}
TOO_MANY_FAILURES: Final[Responses] = {
    429: problem(
        "Too many failed logins from this IP (or requests from it); `Retry-After` says when "
        "to retry.",
        {**openapi.RETRY_AFTER, **openapi.RATE_LIMIT_HEADERS},
    )
}
TOO_MANY_CODES: Final[Responses] = {
    429: problem(
        "Too many requests, or too many wrong codes; `Retry-After` says when to retry.",
        {**openapi.RETRY_AFTER, **openapi.RATE_LIMIT_HEADERS},
    )
}


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = NO_STORE


@router.post(
    "/login",
    summary="Log in with email and password (and an MFA code once enabled)",
    response_model=LoginResponse,
    responses={**LOGIN_REFUSED, **WITH_BODY, **TOO_MANY_FAILURES},
    openapi_extra=body_doc(LoginRequest),
)
async def login(
    request: Request, response: Response, module: Module, ctx: Context
) -> LoginResponse:
    await guard(request, None, Action.AUTH_LOGIN)
    raw = await json_object(request)
    try:
        body = LoginRequest.model_validate(raw)
    except ValidationError as exc:
        await module.auth.refuse_invalid_login(
            email=raw.get("email"), errors=field_errors(exc), ctx=ctx
        )
    result = await module.auth.login(
        email=body.email, password=body.password, mfa_code=body.mfa_code, ctx=ctx
    )
    _no_store(response)
    return LoginResponse(
        access_token=result.access_token,
        expires_in=result.expires_in,
        session_token=result.session_token,
        user=UserOut.of(result.user),
    )


@router.post(
    "/refresh",
    summary="Exchange a live session token for a new access token and a new session token",
    response_model=RefreshResponse,
    responses={
        401: problem(
            "Missing, invalid or expired credentials. A session token that a refresh already "
            "replaced revokes its session (reuse detection).",
            _CHALLENGE,
        ),
        **WITH_BODY,
    },
)
async def refresh(
    body: RefreshRequest, request: Request, response: Response, module: Module, ctx: Context
) -> RefreshResponse:
    await guard(request, None, Action.AUTH_REFRESH)
    result = await module.auth.refresh(session_token=body.session_token, ctx=ctx)
    _no_store(response)
    return RefreshResponse(
        access_token=result.access_token,
        expires_in=result.expires_in,
        session_token=result.session_token,
    )


@router.post(
    "/logout",
    summary="Revoke the current session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=UNAUTHENTICATED,
)
async def logout(request: Request, caller: Caller, module: Module, ctx: Context) -> Response:
    await guard(request, caller, Action.AUTH_LOGOUT)
    await module.auth.logout(caller, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    summary="The authenticated user",
    response_model=UserOut,
    responses=UNAUTHENTICATED,
)
async def me(request: Request, caller: Caller) -> Response:
    await guard(request, caller, Action.AUTH_ME)
    answer = Response(json_bytes(user_json(caller.user)), media_type="application/json")
    _no_store(answer)
    return answer


@router.post(
    "/password",
    summary="Change the own password; every other session is revoked",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**UNAUTHENTICATED, **WITH_BODY},
)
async def change_password(
    body: PasswordChangeRequest, request: Request, caller: Caller, module: Module, ctx: Context
) -> Response:
    await guard(request, caller, Action.AUTH_PASSWORD)
    await module.auth.change_password(
        caller, current_password=body.current_password, new_password=body.new_password, ctx=ctx
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/mfa/setup",
    summary="Start MFA setup: a new TOTP secret, inactive until enabled",
    response_model=MfaSetupResponse,
    responses={**UNAUTHENTICATED, **CONFLICT},
)
async def mfa_setup(
    request: Request, response: Response, caller: Caller, module: Module, ctx: Context
) -> MfaSetupResponse:
    await guard(request, caller, Action.AUTH_MFA_SETUP)
    secret, uri = await module.auth.mfa_setup(caller, ctx)
    _no_store(response)
    return MfaSetupResponse(secret=secret, otpauth_uri=uri)


@router.post(
    "/mfa/enable",
    summary="Enable MFA with a code from the authenticator app; returns backup codes once "
    "and revokes the caller's other sessions",
    response_model=MfaEnableResponse,
    responses={**UNAUTHENTICATED, **CONFLICT, **WITH_BODY, **TOO_MANY_CODES},
)
async def mfa_enable(
    body: MfaCodeRequest,
    request: Request,
    response: Response,
    caller: Caller,
    module: Module,
    ctx: Context,
) -> MfaEnableResponse:
    await guard(request, caller, Action.AUTH_MFA_ENABLE)
    codes = await module.auth.mfa_enable(caller, code=body.code, ctx=ctx)
    _no_store(response)
    return MfaEnableResponse(backup_codes=codes)


@router.post(
    "/mfa/disable",
    summary="Disable MFA with a TOTP code or an unused backup code",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**UNAUTHENTICATED, **CONFLICT, **WITH_BODY, **TOO_MANY_CODES},
)
async def mfa_disable(
    body: MfaCodeRequest, request: Request, caller: Caller, module: Module, ctx: Context
) -> Response:
    await guard(request, caller, Action.AUTH_MFA_DISABLE)
    await module.auth.mfa_disable(caller, code=body.code, ctx=ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/mfa/status",
    summary="Whether MFA is on, and how many backup codes are left",
    response_model=MfaStatusResponse,
    responses=UNAUTHENTICATED,
)
async def mfa_status(
    request: Request, response: Response, caller: Caller, module: Module
) -> MfaStatusResponse:
    await guard(request, caller, Action.AUTH_MFA_STATUS)
    found = await module.auth.mfa_status(caller)
    _no_store(response)
    return MfaStatusResponse(
        enabled=found.enabled, backup_codes_remaining=found.backup_codes_remaining
    )
