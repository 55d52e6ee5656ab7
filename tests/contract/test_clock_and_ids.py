"""Contract of the kernel's `Clock` and `Ids` ports, run alike against the fakes
(tests/fakes/clock.py) and the adapters the system runs with (`boundary.world`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boundary.kernel.ports import Clock, Ids
from boundary.world import RandomIds, SystemClock
from tests.fakes.clock import FixedClock, SequentialIds


@pytest.fixture(params=["fake", "system"])
def clock(request: pytest.FixtureRequest) -> Clock:
    return FixedClock() if request.param == "fake" else SystemClock()


@pytest.fixture(params=["fake", "random"])
def ids(request: pytest.FixtureRequest) -> Ids:
    return SequentialIds() if request.param == "fake" else RandomIds()


def test_now_is_timezone_aware_utc(clock: Clock) -> None:
    assert clock.now().utcoffset() == timedelta(0)


def test_now_never_goes_back(clock: Clock) -> None:
    first = clock.now()
    assert clock.now() >= first


def test_ids_are_distinct_version_4_uuids(ids: Ids) -> None:
    made = [ids.new_id() for _ in range(100)]
    assert len(set(made)) == 100
    assert {made_id.version for made_id in made} == {4}


def test_the_fake_clock_moves_only_when_told() -> None:
    clock = FixedClock()
    start = clock.now()
    assert clock.now() == start
    assert clock.advance(seconds=90) == start + timedelta(seconds=90) == clock.now()


def test_the_fake_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(FixedClock().now().replace(tzinfo=None))
