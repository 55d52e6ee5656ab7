"""What the user services are built from (shell): ports, policy values and observability."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from boundary.kernel.ports import Clock, Ids
from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics
from boundary.user.core.errors import Invalid
from boundary.user.core.validation import validate_password
from boundary.user.ports import (
    FailureLimit,
    PasswordHasherPort,
    PasswordStrength,
    ReadersFactory,
    SecretCodes,
    TokenCodec,
    UnitOfWorkFactory,
)
from boundary.user.shell.auth_cache import AuthCache
from boundary.user.shell.strength import ZxcvbnStrength, estimate_for


@dataclass(frozen=True, slots=True, kw_only=True)
class UserPolicy:
    """Configuration values the user services decide with (seconds and counts)."""

    access_token_ttl: int
    session_ttl: int
    lockout_threshold: int
    lockout_seconds: int
    password_min_score: int = 3
    require_verified_email: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDeps:
    """Everything a user service needs; `build_user_module` makes one per process."""

    units: UnitOfWorkFactory
    readers: ReadersFactory
    passwords: PasswordHasherPort
    tokens: TokenCodec
    codes: SecretCodes
    clock: Clock
    ids: Ids
    policy: UserPolicy
    common_passwords: frozenset[str]
    metrics: Metrics
    logger: Logger
    mfa_failures: FailureLimit
    """Wrong MFA codes per user (enable/disable): 429 past the limit."""
    login_failures: FailureLimit | None = None
    """Failed logins per client IP; None while rate limiting is disabled."""
    on_login_failure: Callable[[], None] | None = None
    """Told of every failed or blocked login: the suspicious-authentication alarm."""
    cache: AuthCache | None = None
    """Sessions and users kept in memory while a change channel is live (PostgreSQL)."""
    strength: PasswordStrength = field(default_factory=ZxcvbnStrength)

    def require_acceptable_password(self, password: str, *, email: str, name: str) -> None:
        """`Invalid` (422 on `new_password`) unless `password` passes the password policy for
        this user: length, common passwords, the email, and the strength estimate."""
        errors = validate_password(
            password,
            common=self.common_passwords,
            email=email,
            field="new_password",
            strength=estimate_for(self.strength, password, email=email, name=name),
            min_score=self.policy.password_min_score,
        )
        if errors:
            raise Invalid(errors)
