"""What the console's Status page shows, gathered from the running system (HTTP shell)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from boundary.kernel.redaction import redact_text
from boundary.ops.core import CheckResult, worker_state

if TYPE_CHECKING:
    from boundary.migrations.core import StatusRow
    from boundary.system import System


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusView:
    checks: tuple[CheckResult, ...]
    healthy: bool
    migrations: tuple[StatusRow, ...]
    migrations_error: str | None
    worker_state: str
    phase: str
    active_sessions: int
    upstream: str
    version: str
    uptime: str
    pool_size: int
    pool_active: int
    pool_idle: int
    rate_limit_enabled: bool
    rate_limit_storage: str
    rate_limit_ok: bool | None
    database_dialect: str


async def gather_status(system: System) -> StatusView:
    checks = await system.health.run_all()
    rows: tuple[StatusRow, ...] = ()
    error: str | None = None
    if system.migrations is not None:
        try:
            rows = (await system.migrations.status()).rows
        except Exception as exc:  # shown on the page; the database check says why
            error = f"unavailable ({type(exc).__name__})"
    active, idle = system.database.pool_stats()
    lifecycle = system.lifecycle
    storage = next((c for c in checks if c.name == "rate_limit_storage"), None)
    return StatusView(
        checks=checks,
        healthy=all(c.ok for c in checks if c.critical),
        migrations=rows,
        migrations_error=error,
        worker_state=worker_state(lifecycle.phase),
        phase=lifecycle.phase.value,
        active_sessions=lifecycle.snapshot.active_session_count,
        upstream=system.database.upstream_state(),
        version=system.version,
        uptime=format_uptime(time.time() - system.started_at),
        pool_size=system.database.pool_size,
        pool_active=active,
        pool_idle=idle,
        rate_limit_enabled=system.rate_limit.enabled,
        rate_limit_storage=redact_text(system.settings.rate_limit.storage_url),
        rate_limit_ok=None if storage is None else storage.ok,
        database_dialect=system.database.dialect,
    )


def format_uptime(seconds: float) -> str:
    """`3d 4h 5m 6s`, leading zero units left out."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    shown = [f"{n}{unit}" for n, unit in parts if n]
    return " ".join([*shown, f"{secs}s"])
