"""The user module's composition (shell): `build_user_module` wires ports and services.

Called once by `boundary.system.build_system`; tests pass overrides (a cheap password
hasher, a fixed clock) through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from typing import Any
from uuid import UUID

from boundary.config.model import Settings
from boundary.db.shell.change_feed import PgChangeFeed
from boundary.db.shell.engine import Database
from boundary.kernel.ports import Clock
from boundary.observability.logging import get_logger
from boundary.observability.metrics.ports import Metrics
from boundary.ratelimit.shell import RateLimiting
from boundary.user.core.validation import COMMON_PASSWORDS_RESOURCE, load_common_passwords
from boundary.user.ports import UnitOfWorkFactory
from boundary.user.shell.access import AccessControl
from boundary.user.shell.auth_cache import AuthCache
from boundary.user.shell.auth_service import AuthService
from boundary.user.shell.authn import Authenticator
from boundary.user.shell.crypto import Argon2Passwords, JwtTokens, PyotpCodes
from boundary.user.shell.deps import UserDeps, UserPolicy
from boundary.user.shell.persistence import (
    Forgetter,
    sql_readers_factory,
    sql_unit_of_work_factory,
)
from boundary.user.shell.user_service import UserService
from boundary.world import RandomIds, SystemClock


@dataclass(eq=False)
class UserModule:
    deps: UserDeps
    authenticator: Authenticator
    auth: AuthService
    users: UserService
    access: AccessControl
    change_feed: PgChangeFeed | None = None
    """Keeps `deps.cache` on while PostgreSQL's change channel is live; None: no cache."""

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @property
    def units(self) -> UnitOfWorkFactory:
        return self.deps.units

    async def start(self) -> None:
        warm_up = getattr(self.deps.passwords, "warm_up", None)
        if warm_up is not None:
            await warm_up()
        if self.change_feed is not None:
            self.change_feed.start()

    async def close(self) -> None:
        if self.change_feed is not None:
            await self.change_feed.close()
        close = getattr(self.deps.passwords, "close", None)
        if close is not None:
            close()

    async def count_live_sessions(self) -> int:
        """Live sessions for ops `active_session_count` and the sessions gauge."""
        async with self.deps.readers() as read:
            return await read.sessions.count_live(self.deps.clock.now())


def build_user_module(
    settings: Settings,
    database: Database,
    metrics: Metrics,
    rate_limit: RateLimiting,
    *,
    on_login_failure: Callable[[], None] | None = None,
    forgetters: Sequence[Forgetter] = (),
    **overrides: Any,
) -> UserModule:
    security = settings.security
    cache = AuthCache(ttl=settings.cache.ttl, max_entries=settings.cache.max_entries)
    deps = UserDeps(
        units=sql_unit_of_work_factory(
            database, on_commit=cache.invalidate_users, forgetters=forgetters
        ),
        readers=sql_readers_factory(database),
        passwords=overrides.get("passwords")
        or Argon2Passwords(
            time_cost=security.password_hash_time_cost,
            memory_cost=security.password_hash_memory_kib,
        ),
        tokens=JwtTokens(
            security.jwt_secret.get_secret_value(),
            [s.get_secret_value() for s in security.jwt_previous_secrets],
        ),
        codes=PyotpCodes(),
        clock=overrides.get("clock") or SystemClock(),
        ids=overrides.get("ids") or RandomIds(),
        policy=UserPolicy(
            access_token_ttl=int(security.access_token_ttl),
            session_ttl=int(security.session_ttl),
            lockout_threshold=security.lockout_threshold,
            lockout_seconds=int(security.lockout_duration),
            password_min_score=security.password_min_score,
            require_verified_email=security.require_verified_email,
        ),
        common_passwords=_common_passwords(),
        metrics=metrics,
        logger=get_logger("boundary.user.service"),
        mfa_failures=rate_limit.mfa_failure_limit,
        login_failures=rate_limit.login_failure_limit,
        on_login_failure=on_login_failure,
        cache=cache,
    )
    authenticator = Authenticator(
        codec=deps.tokens,
        readers=deps.readers,
        units=deps.units,
        clock=deps.clock,
        logger=get_logger("boundary.user.authn"),
        cache=cache,
    )
    return UserModule(
        deps=deps,
        authenticator=authenticator,
        auth=AuthService(deps),
        users=UserService(deps),
        access=AccessControl(deps),
        change_feed=_change_feed(settings, database, cache),
    )


def _change_feed(settings: Settings, database: Database, cache: AuthCache) -> PgChangeFeed | None:
    """The channel that keeps the cache honest: PostgreSQL only (LISTEN/NOTIFY)."""
    if not settings.cache.enabled or database.dialect != "postgresql":
        return None
    return PgChangeFeed(
        database.url,
        logger=get_logger("boundary.cache"),
        on_message=partial(_on_change, cache),
        on_state=cache.set_enabled,
    )


def _on_change(cache: AuthCache, payload: str) -> None:
    """`u:<user id>` forgets that user and their sessions; anything else forgets all."""
    kind, _, value = payload.partition(":")
    if kind == "u":
        try:
            cache.invalidate_users((UUID(value),))
            return
        except ValueError:
            pass
    cache.clear()


def _common_passwords() -> frozenset[str]:
    package, path = COMMON_PASSWORDS_RESOURCE
    return load_common_passwords(resources.files(package).joinpath(path).read_text("utf-8"))
