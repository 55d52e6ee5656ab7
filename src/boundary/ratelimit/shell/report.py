"""What a refusal by a limit leaves behind (shell): the WARN event `rate_limit_exceeded` and
the metric `rate_limit.exceeded.count{limit}` — the same for the per-IP/per-user request limits
and the failed-attempt limits (logins, MFA codes)."""

from __future__ import annotations

from typing import Final

from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics
from boundary.ratelimit import core
from boundary.ratelimit.core import Deny

EXCEEDED_METRIC: Final = "rate_limit.exceeded.count"
EXCEEDED_EVENT: Final = "rate_limit_exceeded"


def report_exceeded(
    logger: Logger,
    metrics: Metrics,
    decision: Deny,
    *,
    ip: str | None,
    user_id: str | None,
    route: str,
) -> None:
    """The WARN event and the `rate_limit.exceeded.count{limit}` metric of one refusal."""
    limit = decision.quota.name
    logger.warn(
        EXCEEDED_EVENT,
        ip=ip,
        user_id=user_id,
        limit=limit,
        policy=core.policy(decision.quota),
        route=route,
        retry_after=decision.retry_after,
    )
    metrics.increment(EXCEEDED_METRIC, tags={"limit": limit})
