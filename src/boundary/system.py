"""The composition root: `build_system(settings)` builds every component Boundary runs with.

Nothing is constructed at import time anywhere in the package; entry points (the CLI, the
process runner, tests) call `build_system` and receive the finished `System`. Later modules
plug in here: they register routers, health checks, start-up and shutdown hooks.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import APIRouter

from boundary import __version__
from boundary.config.model import Settings
from boundary.observability.logging import Logger, get_logger
from boundary.observability.metrics.prometheus import build_registry, exposition
from boundary.ops.shell.health import HealthRegistry
from boundary.ops.shell.lifecycle import Lifecycle
from boundary.ops.shell.monitor import HealthMonitor

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
    version: str = __version__
    routers: list[APIRouter] = field(default_factory=list)
    startup_hooks: list[Hook] = field(default_factory=list)
    shutdown_hooks: list[Hook] = field(default_factory=list)

    async def start(self) -> None:
        """Slow start-up work (connect, migrate), run after the listeners already accept."""
        for hook in self.startup_hooks:
            await hook()

    async def aclose(self) -> None:
        """Release resources in reverse order of acquisition; one failure does not stop the rest."""
        for hook in reversed(self.shutdown_hooks):
            try:
                await hook()
            except Exception as exc:
                self.logger.error(
                    "Shutdown hook failed",
                    hook=getattr(hook, "__qualname__", repr(hook)),
                    **{"error.kind": type(exc).__name__, "error.message": str(exc)},
                )

    def api_app(self) -> Any:
        """The API listener's ASGI app (FastAPI behind the HTTP edge)."""
        from boundary.http.app import create_api_app

        return create_api_app(self)

    def ops_app(self) -> Any:
        """The ops listener's ASGI app."""
        from boundary.http.app import wrap_for_listener
        from boundary.ops.shell.app import OpsApp

        ops = OpsApp(
            self.lifecycle,
            metrics=self.metrics_exposition,
            liveness_stall_threshold=self.settings.ops.liveness_stall_threshold,
            clock=time.monotonic,
        )
        return wrap_for_listener(ops, self.settings, get_logger("boundary.ops.access"))


def build_system(settings: Settings, **overrides: Any) -> System:
    """Build every adapter and service from `settings`; `overrides` replace named parts in tests."""
    logger = overrides.get("logger") or get_logger("boundary.system")
    lifecycle = overrides.get("lifecycle") or Lifecycle(
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
    metrics = None
    if "prometheus" in settings.metrics.providers:
        metrics = partial(exposition, build_registry())
    system = System(
        settings=settings,
        logger=logger,
        lifecycle=lifecycle,
        health=health,
        monitor=monitor,
        metrics_exposition=metrics,
    )
    with contextlib.suppress(KeyError):
        system.routers.extend(overrides["routers"])
    return system
