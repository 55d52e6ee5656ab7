"""The user module's failures as problem responses (shell).

Services raise these; the HTTP error handlers answer them as problem+json. Login failures
share ONE problem and header set, whatever the cause, so a client cannot tell an unknown
email from a wrong password, an inactive, deleted or locked account.
"""

from __future__ import annotations

from collections.abc import Iterable

from boundary.http.errors import ProblemException
from boundary.kernel.problems import FieldError, Problem, standard_problem
from boundary.ratelimit.core import Deny
from boundary.ratelimit.shell.middleware import too_many_requests
from boundary.user.core.mfa import MFA_REQUIRED_SLUG

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="boundary"'}

LOGIN_FAILED = Problem(
    status=401,
    slug="authentication-failed",
    title="Authentication failed",
    detail="Invalid email or password.",
)
MFA_REQUIRED = Problem(
    status=401,
    slug=MFA_REQUIRED_SLUG,
    title="MFA code required",
    detail="Send the current code from your authenticator app, or an unused backup code.",
)


class LoginRefused(ProblemException):
    """The one generic 401 of a failed login."""

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED, headers=BEARER_CHALLENGE)


class MfaCodeRequired(ProblemException):
    """Right password, MFA on, and the code missing or wrong: 401 `…/mfa-required`."""

    def __init__(self) -> None:
        super().__init__(MFA_REQUIRED, headers=BEARER_CHALLENGE)


class Unauthenticated(ProblemException):
    """No valid access token / session; `reason` is for logs and metrics only."""

    def __init__(self, reason: str) -> None:
        super().__init__(standard_problem(401), headers=BEARER_CHALLENGE)
        self.reason = reason


class Forbidden(ProblemException):
    def __init__(self) -> None:
        super().__init__(standard_problem(403))


class NotFound(ProblemException):
    def __init__(self, detail: str = "No such user.") -> None:
        super().__init__(standard_problem(404, detail=detail))


class Conflict(ProblemException):
    def __init__(self, detail: str) -> None:
        super().__init__(standard_problem(409, detail=detail))


class Invalid(ProblemException):
    """Well-formed but invalid input: 422 with the field errors."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        super().__init__(standard_problem(422, errors=tuple(errors)))


class TooManyAttempts(ProblemException):
    """429: too many failed logins from this IP, or wrong MFA codes from this user."""

    def __init__(self, decision: Deny) -> None:
        super().__init__(too_many_requests(decision))
        self.decision = decision
