"""Failed-attempt limits (shell): §5's "5 failed logins in 15 minutes" per client IP, and five
wrong MFA codes in 15 minutes per user.

`AuthService` calls `check(key)` before it verifies anything — while the key is blocked even the
right password or code is refused (429), and no argon2 time is spent — and `record_failure(key)`
after a failed attempt. Successes (and requests refused for other reasons, such as invalid
input) count nothing. The counters live in the rate-limit storage, so with Redis they hold
across every process and replica. The login limit sits beside the account lockout
(`security.lockout_threshold`), which counts per account in the database.

Check and record are two storage calls, so a burst of parallel attempts can overshoot the
limit by the number in flight; the next check blocks them all.
"""

from __future__ import annotations

from typing import Literal

from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics
from boundary.ratelimit.core import Deny, Quota
from boundary.ratelimit.ports import Limiter
from boundary.ratelimit.shell.report import report_exceeded

Subject = Literal["ip", "user"]


class FailureLimit:
    """`user.ports.FailureLimit` over a `Limiter` and one quota, counted per client IP or per
    user id (`per`); `route` names the endpoint in the `rate_limit_exceeded` event."""

    def __init__(
        self,
        limiter: Limiter,
        quota: Quota,
        *,
        per: Subject,
        route: str,
        logger: Logger,
        metrics: Metrics,
    ) -> None:
        self._limiter = limiter
        self._quota = quota
        self._per = per
        self._route = route
        self._log = logger
        self._metrics = metrics

    @property
    def quota(self) -> Quota:
        return self._quota

    async def check(self, subject: str | None) -> Deny | None:
        """None while `subject` (an IP or a user id) may try again; the refusal, logged and
        counted, once it may not."""
        decision = await self._limiter.peek(self._quota, self._key(subject))
        if not isinstance(decision, Deny):
            return None
        ip, user_id = (subject, None) if self._per == "ip" else (None, subject)
        report_exceeded(
            self._log, self._metrics, decision, ip=ip, user_id=user_id, route=self._route
        )
        return decision

    async def record_failure(self, subject: str | None) -> None:
        await self._limiter.record(self._quota, self._key(subject))

    def _key(self, subject: str | None) -> str:
        return f"{self._per}:{subject}"
