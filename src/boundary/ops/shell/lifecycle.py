"""Lifecycle (shell): the process's phase, the API loop's heartbeat and the latest health snapshot.

Written by the API event loop, read by the ops listener's thread. Every field is replaced
whole (an attribute store is atomic in CPython), so readers never see a half-made value.
Phase changes go through `ops.core.advance` and are logged with the time spent in the
phase being left, which is how an operator sees each shutdown phase and its duration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from boundary.observability.logging import Logger
from boundary.ops.core import (
    CheckResult,
    InvalidTransition,
    Phase,
    Readiness,
    advance,
    is_stalled,
    readiness,
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the health monitor last saw; the ops listener answers from it without awaiting."""

    results: tuple[CheckResult, ...] = ()
    active_session_count: int = 0
    upstream_connection_state: str = "CONNECTING"
    taken_at: float = field(default=0.0)


class Lifecycle:
    """The state machine active → draining → stopping → stopped, plus liveness signals."""

    def __init__(
        self,
        logger: Logger,
        *,
        stall_threshold: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._clock = clock
        self.stall_threshold = stall_threshold
        self.phase = Phase.STARTING
        self._phase_since = clock()
        self.heartbeat = clock()
        self.snapshot = Snapshot()

    def move_to(self, target: Phase) -> bool:
        """Enter `target`; False (and a warning) when the machine does not allow it."""
        result = advance(self.phase, target)
        if isinstance(result, InvalidTransition):
            self._log.warn(
                "Lifecycle transition refused", phase=result.current.value, target=target.value
            )
            return False
        now = self._clock()
        elapsed_ms = round((now - self._phase_since) * 1000, 1)
        previous, self.phase, self._phase_since = self.phase, result, now
        self._log.info(
            f"Lifecycle {previous.value} -> {result.value}",
            phase=result.value,
            previous_phase=previous.value,
            duration_ms=elapsed_ms,
        )
        return True

    def beat(self) -> None:
        """Called by the API loop's heartbeat task: the loop is alive and scheduling."""
        self.heartbeat = self._clock()

    def loop_stalled(self) -> bool:
        return is_stalled(self.heartbeat, self._clock(), self.stall_threshold)

    def readiness(self) -> Readiness:
        """Readiness from the phase, the loop heartbeat and the monitor's last snapshot."""
        return readiness(self.snapshot.results, self.phase, loop_stalled=self.loop_stalled())

    def seconds_in_phase(self) -> float:
        return self._clock() - self._phase_since
