"""The composition root: `build_system(settings)` builds every component Boundary runs with.

Nothing is constructed at import time anywhere in the package; entry points (the CLI, the
process runner, tests) call `build_system` and receive the finished `System`. Modules plug in
here with their health checks, start-up and shutdown hooks. It builds no web app: the HTTP
shell (`boundary.http.app`) turns a `System` into the listeners' ASGI apps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum, auto
from functools import partial
from pathlib import Path
from typing import Final, Literal

from boundary import __version__
from boundary.account.shell import tokens as account_tokens
from boundary.account.shell.service import AccountService
from boundary.account.shell.unit import account_unit_factory
from boundary.config.model import Settings
from boundary.db.shell.engine import Database
from boundary.kernel.ports import Clock, Ids
from boundary.mail.ports import MailTransport
from boundary.mail.shell import outbox
from boundary.mail.shell.module import MailModule, build_mail_module
from boundary.migrations.shell import MigrationRunner
from boundary.migrations.startup import MigrationsCheck, auto_migrate
from boundary.observability.errors.ports import ErrorReporter
from boundary.observability.errors.shell.watch import FailedLoginAlarm
from boundary.observability.logging import Logger, get_logger
from boundary.observability.metrics.ports import Metrics
from boundary.observability.metrics.shell.build import MetricsBundle, build_metrics
from boundary.observability.metrics.shell.health import sample_health
from boundary.ops.shell.health import HealthRegistry
from boundary.ops.shell.lifecycle import Lifecycle
from boundary.ops.shell.monitor import HealthMonitor
from boundary.ratelimit.shell import RateLimiting, build_rate_limiting
from boundary.ratelimit.shell.limiter import LimitsLimiter
from boundary.user.ports import PasswordHasherPort
from boundary.user.shell.module import UserModule, build_user_module

Hook = Callable[[], Awaitable[None]]


@dataclass(eq=False)
class System:
    """Every long-lived component of one process, wired together."""

    settings: Settings
    logger: Logger
    lifecycle: Lifecycle
    health: HealthRegistry
    monitor: HealthMonitor
    metrics_exposition: Callable[[], tuple[bytes, str]] | None
    metrics: Metrics
    database: Database
    user: UserModule
    rate_limit: RateLimiting
    mail: MailModule
    account: AccountService
    error_reporter: ErrorReporter | None = None
    """Sentry when `error_reporting.dsn` is set; None reports nothing (and costs nothing)."""
    failed_logins: FailedLoginAlarm | None = None
    """The suspicious-authentication watch (§10): one warning per 5 minutes past 50 failures."""
    version: str = __version__
    migrations: MigrationRunner | None = None
    """The migration runner the readiness check uses (the admin console's Status page)."""
    started_at: float = field(default_factory=time.time)
    """When this process built its system (wall clock, seconds): the console's uptime."""
    startup_hooks: list[Hook] = field(default_factory=list)
    shutdown_hooks: list[Hook] = field(default_factory=list)
    shutdown_hook_timeout: float = 10.0
    """Seconds one shutdown hook may take: a release that hangs (a peer that never answers a
    close) must not hold up the rest of the shutdown, nor the process's exit."""

    async def start(self) -> None:
        """Slow start-up work (connect, migrate), run after the listeners already accept."""
        for hook in self.startup_hooks:
            await hook()

    async def aclose(self) -> None:
        """Release resources in reverse order of acquisition; one failure (or one hook that
        hangs past `shutdown_hook_timeout`) does not stop the rest."""
        for hook in reversed(self.shutdown_hooks):
            try:
                await asyncio.wait_for(hook(), self.shutdown_hook_timeout)
            except Exception as exc:
                self.logger.error(
                    "Shutdown hook failed",
                    hook=getattr(hook, "__qualname__", repr(hook)),
                    **{"error.kind": type(exc).__name__, "error.message": str(exc)},
                )


class _Configured(Enum):
    """Marks "as configured": the default of a parameter whose None means something (off)."""

    AS_CONFIGURED = auto()


AS_CONFIGURED: Final = _Configured.AS_CONFIGURED


def build_system(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    error_reporter: ErrorReporter | Literal[_Configured.AS_CONFIGURED] | None = AS_CONFIGURED,
    failed_login_alarm: FailedLoginAlarm | None = None,
    rate_limiter: LimitsLimiter | None = None,
    mail_transport: MailTransport | None = None,
    passwords: PasswordHasherPort | None = None,
    clock: Clock | None = None,
    ids: Ids | None = None,
) -> System:
    """Build every adapter and service from `settings`. Tests replace parts by name: `metrics`
    (else the configured providers), `error_reporter` (else Sentry when a DSN is set; None
    turns it off), `failed_login_alarm` (else one on the error reporter, when there is one),
    `rate_limiter`, `mail_transport`, and the user module's `passwords`, `clock` and `ids`."""
    logger = get_logger("boundary.system")
    lifecycle = Lifecycle(
        get_logger("boundary.lifecycle"), stall_threshold=settings.ops.loop_stall_threshold
    )
    health = HealthRegistry(timeout=settings.ops.health_check_timeout)
    monitor = HealthMonitor(
        lifecycle,
        health,
        get_logger("boundary.health"),
        interval=settings.ops.health_check_interval,
        loop_clock=time.monotonic,
    )
    bundle = build_metrics(settings)
    if metrics is None:
        metrics = bundle.metrics
    reporter = _error_reporter(settings) if error_reporter is AS_CONFIGURED else error_reporter
    database = _database(settings, metrics, reporter)
    rate_limit = build_rate_limiting(settings, metrics, limiter=rate_limiter)
    alarm = failed_login_alarm or (FailedLoginAlarm(reporter) if reporter is not None else None)
    user = build_user_module(
        settings,
        database,
        metrics,
        rate_limit,
        on_login_failure=None if alarm is None else alarm.record_failure,
        # erasure reaches the account tokens and the mail outbox too
        forgetters=(account_tokens.forget_user, outbox.forget_recipient),
        passwords=passwords,
        clock=clock,
        ids=ids,
    )
    mail = build_mail_module(settings, database, metrics, user.deps.clock, transport=mail_transport)
    cache = user.deps.cache
    account = AccountService(
        user.deps,
        account_unit_factory(database, None if cache is None else cache.invalidate_users),
        mail,
        public_url=settings.web.public_url,
        reset_ttl=settings.security.reset_token_ttl,
        verify_ttl=settings.security.verify_token_ttl,
    )
    system = System(
        settings=settings,
        logger=logger,
        lifecycle=lifecycle,
        health=health,
        monitor=monitor,
        metrics_exposition=bundle.exposition,
        metrics=metrics,
        database=database,
        user=user,
        rate_limit=rate_limit,
        mail=mail,
        account=account,
        error_reporter=reporter,
        failed_logins=alarm,
    )
    _wire_observability(system, bundle)
    _wire_database(system)
    _wire_user(system)
    _wire_rate_limit(system)
    _wire_mail(system)
    return system


def _database(settings: Settings, metrics: Metrics, reporter: ErrorReporter | None) -> Database:
    db = settings.database
    report = None
    if reporter is not None:
        report = partial(reporter.capture_exception, tags={"component": "database"})
    return Database(
        db.url,
        pool_size=db.pool_size,
        pool_timeout_ms=db.pool_timeout_ms,
        metrics=metrics,
        logger=get_logger("boundary.db"),
        on_connection_failure=report,
    )


def _error_reporter(settings: Settings) -> ErrorReporter | None:
    """Sentry when a DSN is set. Imported only then: the SDK is 7 MiB of every worker's
    memory and 0.14 s of its start-up, for nothing while error reporting is off."""
    if settings.error_reporting.dsn is None:
        return None
    from boundary.observability.errors.shell.sentry import init_sentry

    return init_sentry(settings)


def _wire_observability(system: System, bundle: MetricsBundle) -> None:
    """Health as gauges on every refresh; at shutdown flush metrics and error reports last
    (shutdown hooks run in reverse, so these run after everything else has closed)."""
    monitor = system.monitor
    metrics = system.metrics
    monitor.samplers.append(lambda: sample_health(metrics, system.lifecycle.snapshot.results))
    if system.error_reporter is not None:
        from boundary.observability.errors.shell.sentry import close_sentry

        system.shutdown_hooks.append(_run_sync(close_sentry))
    system.shutdown_hooks.append(_run_sync(bundle.close))


def _run_sync(function: Callable[[], None]) -> Hook:
    """A blocking close (Sentry, DogStatsD flush, up to 2 s each) as a hook that runs in a
    thread, so the shutdown deadline and a second signal can still cut it short."""

    async def hook() -> None:
        await asyncio.to_thread(function)

    hook.__qualname__ = getattr(function, "__qualname__", repr(function))
    return hook


def _wire_database(system: System) -> None:
    """Health checks, start-up (wait + auto-migrate) and shutdown for the database."""
    database = system.database
    settings = system.settings.database
    log = get_logger("boundary.db")
    runner = MigrationRunner(
        database, Path(settings.migrations_dir), get_logger("boundary.migrations")
    )
    system.migrations = runner
    system.health.register("database", database.ping, reason="database_unreachable")
    system.health.register("migrations", MigrationsCheck(runner), reason="migrations_pending")
    system.monitor.upstream_state = database.upstream_state
    system.monitor.samplers.append(partial(_sample_pool, database, system.metrics))
    if settings.auto_migrate:
        system.startup_hooks.append(partial(auto_migrate, database, runner.directory, log))
    system.shutdown_hooks.append(database.close)


def _wire_user(system: System) -> None:
    """Routers, password-hasher warm-up/close, and live-session counting for ops."""
    user = system.user
    system.startup_hooks.append(user.start)
    system.shutdown_hooks.append(user.close)
    system.monitor.session_counter = user.count_live_sessions
    system.monitor.samplers.append(
        lambda: system.metrics.gauge(
            "application.sessions.active", system.lifecycle.snapshot.active_session_count
        )
    )


def _wire_rate_limit(system: System) -> None:
    """Rate limiting (§5): the non-critical storage check and closing the storage."""
    rate_limit = system.rate_limit
    if not rate_limit.enabled:
        return
    system.health.register(
        "rate_limit_storage",
        rate_limit.storage_ok,
        critical=False,
        reason="rate_limit_storage_unreachable",
    )
    system.shutdown_hooks.append(rate_limit.aclose)


def _wire_mail(system: System) -> None:
    """The outbox sender (started after migrations, stopped before the pool closes), its
    non-critical `mail` check, and expired-token pruning as part of its housekeeping."""
    sender = system.mail.sender
    if sender is None:
        return
    sender.housekeeping.append(system.account.prune_tokens)
    system.health.register("mail", sender.check, critical=False, reason="mail_failing")
    system.startup_hooks.append(system.mail.start)
    system.shutdown_hooks.append(system.mail.close)


def _sample_pool(database: Database, metrics: Metrics) -> None:
    active, idle = database.pool_stats()
    metrics.gauge("database.connection.pool.active", active)
    metrics.gauge("database.connection.pool.idle", idle)
    metrics.gauge("database.connection.pool.size", database.pool_size)
