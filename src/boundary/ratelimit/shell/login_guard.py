"""Login-failure limit per client IP (shell): §5's "5 failed logins in 15 minutes".

The login route calls `check(ip)` before the password is verified — while the IP is blocked
even the right password gets 429, and no argon2 time is spent — and `record_failure(ip)` after
a failed login. Successful logins (and requests refused for other reasons, such as invalid
input) count nothing. This sits beside the account lockout (`security.lockout_threshold`),
which counts per account in the database; a blocked IP's attempts never reach the account.

Check and record are two storage calls, so a burst of parallel attempts can overshoot the
limit by the number in flight; the next check blocks them all.
"""

from __future__ import annotations

from boundary.http.errors import ProblemException
from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics
from boundary.ratelimit.core import Deny, Quota
from boundary.ratelimit.ports import Limiter
from boundary.ratelimit.shell.middleware import report_exceeded, too_many_requests

LOGIN_ROUTE = "/api/v1/auth/login"


class LoginBlocked(ProblemException):
    """429: too many failed logins from this IP."""

    def __init__(self, decision: Deny) -> None:
        super().__init__(too_many_requests(decision))
        self.decision = decision


class LoginGuard:
    def __init__(self, limiter: Limiter, quota: Quota, *, logger: Logger, metrics: Metrics) -> None:
        self._limiter = limiter
        self._quota = quota
        self._log = logger
        self._metrics = metrics

    @property
    def quota(self) -> Quota:
        return self._quota

    async def check(self, ip: str | None) -> None:
        """Return while `ip` may try to log in; raise `LoginBlocked` (429) otherwise."""
        decision = await self._limiter.peek(self._quota, _key(ip))
        if isinstance(decision, Deny):
            report_exceeded(
                self._log, self._metrics, decision, ip=ip, user_id=None, route=LOGIN_ROUTE
            )
            raise LoginBlocked(decision)

    async def record_failure(self, ip: str | None) -> None:
        await self._limiter.record(self._quota, _key(ip))


def _key(ip: str | None) -> str:
    return f"ip:{ip}"
