"""How the services' refusals look on the wire (HTTP shell): each `DomainError` kind, and the
database being unavailable, as its problem document, status and headers.

Services raise plain errors (`boundary.kernel.errors`, `boundary.user.core.errors`); this is
the one place that knows a `NotFound` is a 404 and a refused login a 401 with a challenge.
Login failures share ONE problem and header set, whatever the cause, so a client cannot tell
an unknown email from a wrong password, an inactive, deleted or locked account.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI, Request
from starlette.responses import Response

from boundary.db.errors import DatabaseUnavailable
from boundary.http.errors import problem_response
from boundary.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)
from boundary.kernel.problems import Problem, standard_problem
from boundary.observability.logging import Logger
from boundary.user.core.errors import EmailNotVerified, LoginRefused, MfaCodeRequired
from boundary.user.core.mfa import MFA_REQUIRED_SLUG

BEARER_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="boundary"'}
LOGIN_FAILED: Final = Problem(
    status=401,
    slug="authentication-failed",
    title="Authentication failed",
    detail="Invalid email or password.",
)
MFA_REQUIRED: Final = Problem(
    status=401,
    slug=MFA_REQUIRED_SLUG,
    title="MFA code required",
    detail="Send the current code from your authenticator app, or an unused backup code.",
)
EMAIL_NOT_VERIFIED: Final = Problem(
    status=403,
    slug="email-not-verified",
    title="Email not verified",
    detail="Verify your email address (POST /api/v1/auth/verify-email/request) to sign in.",
)
DATABASE_RETRY_AFTER: Final = "1"
DATABASE_DETAILS: Final = {
    "pool_exhausted": "All database connections are busy; retry shortly.",
    "unreachable": "The database is unreachable; retry shortly.",
}


def problem_for(exc: DomainError) -> tuple[Problem, dict[str, str]]:
    """The problem a refusal answers, and the headers that go with it."""
    if isinstance(exc, LoginRefused):
        return LOGIN_FAILED, BEARER_CHALLENGE
    if isinstance(exc, MfaCodeRequired):
        return MFA_REQUIRED, BEARER_CHALLENGE
    if isinstance(exc, Unauthenticated):
        return standard_problem(401), BEARER_CHALLENGE
    if isinstance(exc, EmailNotVerified):
        return EMAIL_NOT_VERIFIED, {}
    if isinstance(exc, Invalid):
        return standard_problem(422, errors=exc.errors), {}
    if isinstance(exc, TooManyAttempts):
        detail = f"Rate limit exceeded; retry in {exc.retry_after} seconds."
        return standard_problem(429, detail=detail, headers=exc.headers), {}
    if isinstance(exc, Unavailable):
        unavailable = Problem(
            status=503,
            slug=f"{exc.kind}-unavailable",
            title=f"{exc.kind.capitalize()} unavailable",
            detail=exc.detail or f"The service cannot use {exc.kind} right now.",
        )
        return unavailable, {}
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    return standard_problem(status, detail=exc.detail), {}


_STATUS: Final[tuple[tuple[type[DomainError], int], ...]] = (
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
)


def install_domain_errors(app: FastAPI, logger: Logger) -> None:
    """Answer `DomainError`s with their problems, and `DatabaseUnavailable` with a 503 and
    `Retry-After`, so clients and load balancers back off instead of hanging."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        problem, headers = problem_for(exc)
        return problem_response(problem, request, headers)

    async def database_unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DatabaseUnavailable)
        logger.warn(
            "Database unavailable", reason=exc.reason, method=request.method, path=request.url.path
        )
        problem = standard_problem(503, detail=DATABASE_DETAILS[exc.reason])
        return problem_response(problem, request, {"Retry-After": DATABASE_RETRY_AFTER})

    app.add_exception_handler(DomainError, refused)
    app.add_exception_handler(DatabaseUnavailable, database_unavailable)
