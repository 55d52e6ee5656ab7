"""Ops core: the lifecycle state machine and readiness rules, with literal values."""

from __future__ import annotations

import itertools
from datetime import timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from boundary.ops.core import (
    TRANSITIONS,
    CheckResult,
    InvalidTransition,
    Phase,
    advance,
    format_timestamp,
    health_body,
    is_stalled,
    readiness,
    ready_body,
    worker_info_body,
    worker_state,
)
from tests.fakes.builders import NOW


def check(name: str = "database", *, ok: bool = True, critical: bool = True) -> CheckResult:
    return CheckResult(
        name=name, ok=ok, critical=critical, reason=f"{name}_unreachable", duration_ms=1.234
    )


def test_the_happy_path_of_the_machine() -> None:
    """starting → active → draining → stopping → stopped is allowed step by step."""
    path = [Phase.STARTING, Phase.ACTIVE, Phase.DRAINING, Phase.STOPPING, Phase.STOPPED]
    for current, target in itertools.pairwise(path):
        assert advance(current, target) is target


@given(st.sampled_from(list(Phase)), st.sampled_from(list(Phase)))
def test_phases_never_go_back(current: Phase, target: Phase) -> None:
    """Any move not in the table is refused as a value, never applied."""
    result = advance(current, target)
    order = list(Phase)
    if target in TRANSITIONS[current]:
        assert result is target
        assert order.index(target) > order.index(current)
    else:
        assert result == InvalidTransition(current=current, target=target)


def test_worker_state_maps_phases_to_the_seed_vocabulary() -> None:
    assert worker_state(Phase.STARTING) == "unknown"
    assert worker_state(Phase.ACTIVE) == "active"
    assert {worker_state(p) for p in (Phase.DRAINING, Phase.STOPPING, Phase.STOPPED)} == {
        "shutdown"
    }


def test_ready_only_when_active_and_critical_checks_pass() -> None:
    assert readiness([check()], Phase.ACTIVE).ready
    assert readiness([check(ok=False, critical=False)], Phase.ACTIVE).ready
    failing = readiness([check(ok=False)], Phase.ACTIVE)
    assert failing.reasons == ("database_unreachable",)


def test_not_ready_reasons_accumulate() -> None:
    """Starting, shutting down, a stalled loop and failing checks each name themselves."""
    assert readiness([], Phase.STARTING).reasons == ("starting",)
    state = readiness([check(ok=False)], Phase.DRAINING, loop_stalled=True)
    assert state.reasons == ("shutting_down", "event_loop_stalled", "database_unreachable")
    assert not state.ready


def test_is_stalled_compares_against_threshold() -> None:
    assert not is_stalled(10.0, 11.9, 2.0)
    assert is_stalled(10.0, 12.1, 2.0)


def test_health_body_shape_and_status() -> None:
    status, body = health_body([check()], service="boundary-api", version="1.0.0", now=NOW)
    assert status == 200
    assert body == {
        "status": "healthy",
        "service": "boundary-api",
        "version": "1.0.0",
        "timestamp": "2026-01-03T12:00:00Z",
        "checks": {"database": {"status": "up", "critical": True, "duration_ms": 1.23}},
    }
    status, body = health_body([check(ok=False)], service="s", version="v", now=NOW)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"] == {
        "database": {
            "status": "down",
            "critical": True,
            "duration_ms": 1.23,
            "reason": "database_unreachable",
        }
    }


def test_timestamps_are_utc_with_z() -> None:
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    assert format_timestamp(plus_two) == "2026-01-03T12:00:00Z"


def test_ready_body() -> None:
    assert ready_body(readiness([], Phase.ACTIVE)) == (200, {"status": "ready"})
    assert ready_body(readiness([], Phase.STOPPING)) == (
        503,
        {"status": "not_ready", "reasons": ["shutting_down"]},
    )


def test_worker_info_body() -> None:
    body = worker_info_body(
        Phase.DRAINING, active_session_count=3, upstream_connection_state="READY"
    )
    assert body == {
        "worker_process_info": {
            "state": "shutdown",
            "active_session_count": 3,
            "upstream_connection_state": "READY",
        }
    }
