"""Rate limiting's composition (shell): `build_rate_limiting(settings)` → `RateLimiting`.

Called once by `boundary.system.build_system`. With `rate_limit.enabled = false` there is no
limiter and no per-IP login-failure limit; the middleware then only resolves the client IP.
The per-user MFA-failure limit is a defence against guessing codes, not a traffic limit: it
stays on, counted in this process only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from boundary.config.model import Settings
from boundary.observability.logging import Logger, get_logger
from boundary.observability.metrics.ports import Metrics
from boundary.ratelimit.core import Quota
from boundary.ratelimit.shell.failure_limit import FailureLimit
from boundary.ratelimit.shell.limiter import LimitsLimiter, make_quota

__all__ = ["RateLimiting", "build_rate_limiting"]

LOGIN_ROUTE = "/api/v1/auth/login"
MFA_ROUTES = "/api/v1/auth/mfa/{enable,disable}"


@dataclass(eq=False)
class RateLimiting:
    """The limiter, the configured quotas and per-route overrides of one process."""

    public: Quota
    authenticated: Quota
    login_failures: Quota
    mfa_failures: Quota
    trusted_proxies: tuple[str, ...]
    metrics: Metrics
    logger: Logger
    limiter: LimitsLimiter | None = None
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    """`(method, path or template) → rate`, set in code (`override`) before the app is built."""

    @property
    def enabled(self) -> bool:
        return self.limiter is not None

    @cached_property
    def login_failure_limit(self) -> FailureLimit | None:
        """The per-IP login-failure limit, or None while rate limiting is disabled."""
        if self.limiter is None:
            return None
        return FailureLimit(
            self.limiter,
            self.login_failures,
            per="ip",
            route=LOGIN_ROUTE,
            logger=self.logger,
            metrics=self.metrics,
        )

    @cached_property
    def mfa_failure_limit(self) -> FailureLimit:
        """The per-user limit on wrong MFA codes; on a process-local limiter while rate
        limiting is disabled."""
        limiter = self.limiter or LimitsLimiter("memory://", logger=self.logger)
        return FailureLimit(
            limiter,
            self.mfa_failures,
            per="user",
            route=MFA_ROUTES,
            logger=self.logger,
            metrics=self.metrics,
        )

    def override(self, method: str, path: str, rate: str) -> None:
        """Give one route its own limit (counted separately, per user or per IP as usual)."""
        make_quota("route", rate)  # fail now, not on the first request
        self.overrides[(method.upper(), path)] = rate

    def override_quotas(self) -> Mapping[tuple[str, str], Quota]:
        return {
            (method, path): make_quota(f"route:{method} {path}", rate, self.public.mode)
            for (method, path), rate in self.overrides.items()
        }

    async def storage_ok(self) -> None:
        if self.limiter is not None:
            await self.limiter.storage_ok()

    async def aclose(self) -> None:
        if self.limiter is not None:
            await self.limiter.aclose()


def build_rate_limiting(
    settings: Settings, metrics: Metrics, *, limiter: LimitsLimiter | None = None
) -> RateLimiting:
    """Quotas from `rate_limit.*`; a limiter over `storage_url` (or `limiter`) unless disabled."""
    config = settings.rate_limit
    logger: Logger = get_logger("boundary.ratelimit")
    if not config.enabled:
        limiter = None
    elif limiter is None:
        limiter = LimitsLimiter(
            config.storage_url,
            logger=logger,
            strategy=config.strategy,
            timeout=config.storage_timeout,
            key_prefix=config.key_prefix,
        )
    return RateLimiting(
        public=make_quota("public", config.public, config.public_failure_mode),
        authenticated=make_quota(
            "authenticated", config.authenticated, config.authenticated_failure_mode
        ),
        login_failures=make_quota(
            "login_failures", config.login_failures, config.login_failure_mode
        ),
        mfa_failures=make_quota("mfa_failures", config.mfa_failures, config.mfa_failure_mode),
        trusted_proxies=tuple(settings.http.trusted_proxies),
        metrics=metrics,
        logger=logger,
        limiter=limiter,
    )
