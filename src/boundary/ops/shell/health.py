"""Health-check registry (shell): later modules register checks; runs them with timeouts.

A check is an async callable that returns on success and raises on failure. The registry
never lets one slow or broken check hang a probe: each run is bounded by `timeout` and all
checks run concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from boundary.ops.core import CheckResult

Check = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    name: str
    check: Check
    critical: bool
    reason: str


class HealthRegistry:
    """The named checks behind `/health` and `/health/ready`."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._checks: list[RegisteredCheck] = []

    def register(
        self, name: str, check: Check, *, critical: bool = True, reason: str | None = None
    ) -> None:
        """Add a check; `reason` is what readiness reports when it fails (`<name>_unhealthy`)."""
        if any(c.name == name for c in self._checks):
            raise ValueError(f"health check {name!r} is already registered")
        self._checks.append(RegisteredCheck(name, check, critical, reason or f"{name}_unhealthy"))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._checks)

    async def run_all(self) -> tuple[CheckResult, ...]:
        """Every check's result, concurrently; a timeout or exception counts as a failure."""
        if not self._checks:
            return ()
        return tuple(await asyncio.gather(*(self._run(c) for c in self._checks)))

    async def _run(self, registered: RegisteredCheck) -> CheckResult:
        started = time.perf_counter()
        error = ""
        try:
            await asyncio.wait_for(registered.check(), self._timeout)
            ok = True
        except TimeoutError:
            ok, error = False, f"no answer within {self._timeout:g}s"
        except Exception as exc:
            ok, error = False, str(exc) or type(exc).__name__
        return CheckResult(
            name=registered.name,
            ok=ok,
            critical=registered.critical,
            reason=registered.reason,
            duration_ms=(time.perf_counter() - started) * 1000,
            error=error,
        )
