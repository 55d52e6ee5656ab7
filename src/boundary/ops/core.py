"""Ops core: the lifecycle state machine and the health/readiness decisions, as pure functions.

Everything here is plain data in, plain data out: the shell (lifecycle, health monitor, ops
listener) gathers check results, clock readings and counters, and asks these functions what
to answer. That is what lets the readiness rules be tested with literals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal


class Phase(StrEnum):
    """Where the process is in its life; only moves forward (see `TRANSITIONS`)."""

    STARTING = "starting"
    ACTIVE = "active"
    DRAINING = "draining"
    STOPPING = "stopping"
    STOPPED = "stopped"


TRANSITIONS: Mapping[Phase, frozenset[Phase]] = {
    Phase.STARTING: frozenset({Phase.ACTIVE, Phase.DRAINING, Phase.STOPPING}),
    Phase.ACTIVE: frozenset({Phase.DRAINING, Phase.STOPPING}),
    Phase.DRAINING: frozenset({Phase.STOPPING}),
    Phase.STOPPING: frozenset({Phase.STOPPED}),
    Phase.STOPPED: frozenset(),
}

SHUTTING_DOWN = frozenset({Phase.DRAINING, Phase.STOPPING, Phase.STOPPED})

WorkerState = Literal["active", "shutdown", "unknown"]
UPSTREAM_STATES = frozenset({"CONNECTING", "READY", "TRANSIENT_FAILURE", "IDLE", "SHUTDOWN"})


@dataclass(frozen=True, slots=True)
class InvalidTransition:
    """A refused phase change, kept as a value so the shell decides how loud to be."""

    current: Phase
    target: Phase


def advance(current: Phase, target: Phase) -> Phase | InvalidTransition:
    """The new phase, or why the move is not allowed (phases never go back)."""
    if target in TRANSITIONS[current]:
        return target
    return InvalidTransition(current=current, target=target)


def worker_state(phase: Phase) -> WorkerState:
    """The seed's three worker states: active, shutdown, or unknown while starting."""
    if phase is Phase.ACTIVE:
        return "active"
    return "shutdown" if phase in SHUTTING_DOWN else "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The outcome of one health check run."""

    name: str
    ok: bool
    critical: bool
    reason: str
    duration_ms: float
    error: str = ""
    """Why a failed check failed, in the words of what failed (a driver's message, a timeout)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]


def readiness(
    results: Sequence[CheckResult], phase: Phase, *, loop_stalled: bool = False
) -> Readiness:
    """Ready = active, event loop responsive, and every critical check passing."""
    reasons: list[str] = []
    if phase is Phase.STARTING:
        reasons.append("starting")
    elif phase in SHUTTING_DOWN:
        reasons.append("shutting_down")
    if loop_stalled:
        reasons.append("event_loop_stalled")
    reasons.extend(r.reason for r in results if r.critical and not r.ok)
    return Readiness(ready=not reasons, reasons=tuple(reasons))


def is_healthy(results: Sequence[CheckResult]) -> bool:
    """Healthy = no critical check failing (non-critical ones only show up in `checks`)."""
    return all(r.ok for r in results if r.critical)


def is_stalled(last_heartbeat: float, now: float, threshold: float) -> bool:
    """True when the API event loop has not ticked for longer than `threshold` seconds."""
    return now - last_heartbeat > threshold


def format_timestamp(moment: datetime) -> str:
    """UTC, second precision, `Z` suffix: `2026-01-03T12:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def checks_body(results: Sequence[CheckResult]) -> dict[str, dict[str, object]]:
    """The `checks` object of `/health`: per check its status, criticality and timing."""
    return {
        r.name: {
            "status": "up" if r.ok else "down",
            "critical": r.critical,
            "duration_ms": round(r.duration_ms, 2),
            **({} if r.ok else {"reason": r.reason}),
            **({"error": r.error} if not r.ok and r.error else {}),
        }
        for r in results
    }


def health_body(
    results: Sequence[CheckResult], *, service: str, version: str, now: datetime
) -> tuple[int, dict[str, object]]:
    """Status code and body of the API listener's `/health` (§6)."""
    healthy = is_healthy(results)
    body: dict[str, object] = {
        "status": "healthy" if healthy else "unhealthy",
        "service": service,
        "version": version,
        "timestamp": format_timestamp(now),
        "checks": checks_body(results),
    }
    return (200 if healthy else 503), body


def ready_body(state: Readiness) -> tuple[int, dict[str, object]]:
    """Status code and body of `/health/ready` (§6)."""
    if state.ready:
        return 200, {"status": "ready"}
    return 503, {"status": "not_ready", "reasons": list(state.reasons)}


def worker_info_body(
    phase: Phase, *, active_session_count: int, upstream_connection_state: str
) -> dict[str, object]:
    """The ops `/health?worker_info=true` body (§7)."""
    return {
        "worker_process_info": {
            "state": worker_state(phase),
            "active_session_count": active_session_count,
            "upstream_connection_state": upstream_connection_state,
        }
    }
