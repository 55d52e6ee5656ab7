"""A fake of `user.ports.FailureLimit`: blocks a subject after `amount` recorded failures,
for as long as the test likes (no window, no clock)."""

from __future__ import annotations

from boundary.ratelimit.core import Deny, Quota


class CountingFailureLimit:
    def __init__(self, amount: int = 5, *, retry_after: int = 60) -> None:
        self.amount = amount
        self.retry_after = retry_after
        self.failures: dict[str | None, int] = {}
        self.quota = Quota(name="failures", rate=f"{amount}/15minutes", amount=amount, window=900)

    async def check(self, subject: str | None) -> Deny | None:
        if self.failures.get(subject, 0) < self.amount:
            return None
        return Deny(quota=self.quota, retry_after=self.retry_after)

    async def record_failure(self, subject: str | None) -> None:
        self.failures[subject] = self.failures.get(subject, 0) + 1
