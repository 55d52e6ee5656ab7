"""Rate limiting port: what the middleware and the login guard need from a limiter.

Implementations never raise for a storage outage: they answer per the quota's failure mode
(`core.on_storage_failure`) and report the outage themselves.
"""

from __future__ import annotations

from typing import Protocol

from boundary.ratelimit.core import Decision, Quota


class Limiter(Protocol):
    async def hit(self, quota: Quota, key: str) -> Decision:
        """Count one hit for `key` and decide it (a denied hit is not counted)."""
        ...

    async def peek(self, quota: Quota, key: str) -> Decision:
        """Decide whether one more hit would be allowed, counting nothing."""
        ...

    async def record(self, quota: Quota, key: str) -> None:
        """Count one hit for `key` without deciding anything (e.g. a failed login)."""
        ...
