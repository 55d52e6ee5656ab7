"""`UserDeps` wired from the fakes: what the services' unit tests run on.

A test passes the fakes it reads afterwards (`clock=`, `metrics=`, …) and takes the others as
they come; `strength` stays the real (pure) zxcvbn estimator unless one is given."""

from __future__ import annotations

from typing import Any

from boundary.user.shell.deps import UserDeps, UserPolicy
from tests.fakes.clock import FixedClock, SequentialIds
from tests.fakes.crypto import FakeCodes, FakeTokens, PlainPasswords
from tests.fakes.logging import RecordingLogger
from tests.fakes.observability import RecordingMetrics
from tests.fakes.ratelimit import CountingFailureLimit
from tests.fakes.user_repositories import FakeUserStore

POLICY = UserPolicy(access_token_ttl=900, session_ttl=3600, lockout_threshold=3, lockout_seconds=60)
COMMON_PASSWORDS = frozenset({"password1234"})


def fake_user_deps(
    store: FakeUserStore, *, clock: FixedClock | None = None, **given: Any
) -> UserDeps:
    """The service dependencies on `store`, every other port a fresh fake unless `given`."""
    clock = clock or FixedClock()
    values: dict[str, Any] = {
        "units": store.unit_of_work,
        "readers": store.readers,
        "passwords": PlainPasswords(),
        "tokens": FakeTokens(clock=clock.timestamp),
        "codes": FakeCodes(),
        "clock": clock,
        "ids": SequentialIds(),
        "policy": POLICY,
        "common_passwords": COMMON_PASSWORDS,
        "metrics": RecordingMetrics(),
        "logger": RecordingLogger(),
        "mfa_failures": CountingFailureLimit(),
    }
    return UserDeps(**(values | given))
