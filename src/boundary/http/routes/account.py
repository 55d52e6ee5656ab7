"""Password reset and email verification under `/api/v1/auth` (shell): schema in → guard →
`AccountService` → 202 or 204. The services do everything; a reset request answers the same
body for every address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

from fastapi import APIRouter, Depends, Request, Response, status

from boundary.http.caller import Caller, Context, guard
from boundary.http.openapi import EVERY_ROUTE, RETRY_AFTER, WITH_BODY, Responses, problem
from boundary.http.routes.auth import UNAUTHENTICATED
from boundary.http.schemas.auth import (
    AcceptedResponse,
    PasswordResetConfirmRequest,
    PasswordResetRequest,
    VerifyEmailConfirmRequest,
)
from boundary.user.core.permissions import Action

if TYPE_CHECKING:
    from boundary.account.shell.service import AccountService

router = APIRouter(prefix="/api/v1/auth", tags=["account"], responses=EVERY_ROUTE)

MAIL_UNAVAILABLE: Final[Responses] = {
    503: problem(
        "Mail is not configured here (problem type ending `mail-unavailable`), or the database "
        "is unavailable or all its connections are busy.",
        RETRY_AFTER,
    )
}
ACCEPTED: Final = AcceptedResponse()


def account_service(request: Request) -> AccountService:
    service: AccountService = request.app.state.system.account
    return service


Account = Annotated["AccountService", Depends(account_service)]


@router.post(
    "/password-reset",
    summary="Ask for a password-reset mail; the answer is the same for every address",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedResponse,
    responses={**WITH_BODY, **MAIL_UNAVAILABLE},
)
async def request_password_reset(
    body: PasswordResetRequest, request: Request, account: Account, ctx: Context
) -> AcceptedResponse:
    await guard(request, None, Action.AUTH_PASSWORD_RESET)
    await account.request_password_reset(email=body.email, ctx=ctx)
    return ACCEPTED


@router.post(
    "/password-reset/confirm",
    summary="Set a new password with the token from a reset mail; every session is revoked",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**WITH_BODY, **MAIL_UNAVAILABLE},
)
async def confirm_password_reset(
    body: PasswordResetConfirmRequest, request: Request, account: Account, ctx: Context
) -> Response:
    await guard(request, None, Action.AUTH_PASSWORD_RESET_CONFIRM)
    await account.confirm_password_reset(token=body.token, new_password=body.new_password, ctx=ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/verify-email/request",
    summary="Mail a verification link to the caller's address",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedResponse,
    responses={**UNAUTHENTICATED, **MAIL_UNAVAILABLE},
)
async def request_email_verification(
    request: Request, caller: Caller, account: Account, ctx: Context
) -> AcceptedResponse:
    await guard(request, caller, Action.AUTH_VERIFY_EMAIL_REQUEST)
    await account.request_email_verification(caller, ctx)
    return ACCEPTED


@router.post(
    "/verify-email/confirm",
    summary="Confirm an email address with the token from a verification mail",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**WITH_BODY, **MAIL_UNAVAILABLE},
)
async def confirm_email_verification(
    body: VerifyEmailConfirmRequest, request: Request, account: Account, ctx: Context
) -> Response:
    await guard(request, None, Action.AUTH_VERIFY_EMAIL_CONFIRM)
    await account.confirm_email_verification(token=body.token, ctx=ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
