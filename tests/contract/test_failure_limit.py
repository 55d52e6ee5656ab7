"""Contract of `user.ports.FailureLimit`, run alike against the fake
(tests/fakes/ratelimit.py) and the adapter (`ratelimit.shell.FailureLimit` over the `limits`
limiter with in-memory storage): a subject may try until it has `amount` failures recorded,
then is refused with a retry-after; subjects are counted apart."""

from __future__ import annotations

import pytest

from boundary.ratelimit.core import Deny, Quota
from boundary.ratelimit.shell.failure_limit import FailureLimit as LimiterFailureLimit
from boundary.ratelimit.shell.limiter import LimitsLimiter
from boundary.user.ports import FailureLimit
from tests.fakes.logging import RecordingLogger
from tests.fakes.observability import RecordingMetrics
from tests.fakes.ratelimit import CountingFailureLimit

pytestmark = pytest.mark.anyio

AMOUNT = 3


@pytest.fixture(params=["fake", "limits"])
def limit(request: pytest.FixtureRequest) -> FailureLimit:
    if request.param == "fake":
        return CountingFailureLimit(AMOUNT)
    logger = RecordingLogger()
    return LimiterFailureLimit(
        LimitsLimiter("memory://", logger=logger),
        Quota(name="login", rate=f"{AMOUNT}/15minutes", amount=AMOUNT, window=900),
        per="ip",
        route="/api/v1/auth/login",
        logger=logger,
        metrics=RecordingMetrics(),
    )


async def test_a_subject_is_refused_once_it_has_amount_failures(limit: FailureLimit) -> None:
    for _ in range(AMOUNT):
        assert await limit.check("192.0.2.1") is None
        await limit.record_failure("192.0.2.1")
    refusal = await limit.check("192.0.2.1")
    assert isinstance(refusal, Deny)
    assert refusal.retry_after >= 1


async def test_checking_counts_nothing(limit: FailureLimit) -> None:
    for _ in range(AMOUNT * 3):
        assert await limit.check("192.0.2.1") is None


async def test_subjects_are_counted_apart(limit: FailureLimit) -> None:
    for _ in range(AMOUNT):
        await limit.record_failure("192.0.2.1")
    assert await limit.check("192.0.2.1") is not None
    assert await limit.check("192.0.2.2") is None
    assert await limit.check(None) is None
