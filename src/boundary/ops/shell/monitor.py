"""Health monitor (shell): background tasks on the API loop that keep the ops view fresh.

The ops listener runs in its own thread and must answer even when the API loop is stuck,
so it never awaits anything on that loop. Instead two tasks here publish into the
`Lifecycle`: a heartbeat (proof the loop schedules) and a periodic snapshot of the health
checks, the live-session count and the upstream connection state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from boundary.observability.logging import Logger
from boundary.ops.core import CheckResult, Phase
from boundary.ops.shell.health import HealthRegistry
from boundary.ops.shell.lifecycle import Lifecycle, Snapshot

HEARTBEAT_INTERVAL = 0.1

SessionCounter = Callable[[], Awaitable[int]]
UpstreamState = Callable[[], str]


async def _zero_sessions() -> int:
    return 0


def _idle_upstream() -> str:
    return "IDLE"


class HealthMonitor:
    """Owns the heartbeat and snapshot tasks; start() once the loop runs, stop() on shutdown."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        registry: HealthRegistry,
        logger: Logger,
        *,
        interval: float,
        loop_clock: Callable[[], float],
        session_counter: SessionCounter = _zero_sessions,
        upstream_state: UpstreamState = _idle_upstream,
    ) -> None:
        self._lifecycle = lifecycle
        self._registry = registry
        self._log = logger
        self._interval = interval
        self._clock = loop_clock
        self.session_counter = session_counter
        self.upstream_state = upstream_state
        self._tasks: list[asyncio.Task[None]] = []
        self._failing: set[str] = set()
        self.samplers: list[Callable[[], None]] = []
        """Called after every refresh: periodic gauges (pool active/idle, live sessions)."""

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._heartbeat(), name="ops-heartbeat"),
            asyncio.create_task(self._watch(), name="ops-health-monitor"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def refresh(self) -> Snapshot:
        """Run every check now and publish the result (also used right after start-up)."""
        results = await self._registry.run_all()
        sessions = await self._count_sessions()
        snapshot = Snapshot(
            results=results,
            active_session_count=sessions,
            upstream_connection_state=self.upstream_state(),
            taken_at=self._clock(),
        )
        self._lifecycle.snapshot = snapshot
        self._log_changes(results)
        for sample in self.samplers:
            sample()
        return snapshot

    async def _heartbeat(self) -> None:
        while True:
            self._lifecycle.beat()
            await asyncio.sleep(HEARTBEAT_INTERVAL)

    async def _watch(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._interval)

    async def _count_sessions(self) -> int:
        try:
            return await asyncio.wait_for(self.session_counter(), self._interval * 2 + 1)
        except Exception:
            return self._lifecycle.snapshot.active_session_count

    def _log_changes(self, results: tuple[CheckResult, ...]) -> None:
        """Log a check only when it goes down or comes back, not on every run — and not while
        starting, when failing checks (database not yet up, migrations running) are expected."""
        if self._lifecycle.phase is Phase.STARTING:
            return
        for result in results:
            if not result.ok and result.name not in self._failing:
                self._failing.add(result.name)
                log = self._log.error if result.critical else self._log.warn
                log(
                    "Health check failing",
                    check=result.name,
                    reason=result.reason,
                    error=result.error,
                )
            elif result.ok and result.name in self._failing:
                self._failing.discard(result.name)
                self._log.info("Health check recovered", check=result.name)
