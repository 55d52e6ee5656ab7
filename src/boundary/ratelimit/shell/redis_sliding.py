"""One Redis round trip per rate-limited request (shell), for the sliding-window counter.

`limits` answers a hit in two calls — acquire, then the window's stats for the RateLimit
headers — two Lua scripts, two round trips through redis-py for every request; measured, that
was most of the limiter's cost. This script is `limits`' own `acquire_sliding_window.lua` that
also returns the window after the hit, on the same keys `limits` uses (so `peek`, `record` and
`limits` itself keep working on the same counters). Written here because `limits` has no
"hit and report" call; pinned with `limits` in constraints.txt, and the contract tests run it
against a real Redis.
"""

from __future__ import annotations

import time
from math import floor, inf
from typing import Any, Final

from limits import RateLimitItem
from limits.aio.storage import Storage

ACQUIRE_AND_REPORT: Final = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])

local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end

local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = tonumber(redis.call('pttl', KEYS[1])) or 0
local current_count = tonumber(redis.call('get', KEYS[2])) or 0
current_ttl = tonumber(redis.call('pttl', KEYS[2])) or 0
if previous_ttl <= 0 then previous_ttl = 0 end
if current_ttl <= 0 then current_ttl = 0 end

local acquired = 0
if math.floor(previous_count * previous_ttl / expiry) + current_count + amount <= limit then
    acquired = 1
    if redis.call('exists', KEYS[2]) == 1 then
        current_count = redis.call('incrby', KEYS[2], amount)
    else
        redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
        current_count = amount
    end
    current_ttl = tonumber(redis.call('pttl', KEYS[2]))
end
return {acquired, previous_count, previous_ttl, current_count, current_ttl}
"""


class SlidingWindowScript:
    """`hit(item, *identifiers)` → (allowed, remaining, reset_at) in one round trip."""

    def __init__(self, storage: Storage) -> None:
        bridge: Any = getattr(storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if bridge is None or client is None or not hasattr(client, "register_script"):
            raise TypeError("SlidingWindowScript needs limits' redis-py storage")
        self._storage: Any = storage
        self._bridge = bridge
        self._script = client.register_script(ACQUIRE_AND_REPORT)

    async def hit(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, int, float]:
        key = item.key_for(*identifiers)
        keys = [
            self._bridge.prefixed_key(self._storage._previous_window_key(key)),
            self._bridge.prefixed_key(self._storage._current_window_key(key)),
        ]
        expiry = item.get_expiry()
        reply = await self._script(keys=keys, args=[item.amount, expiry, 1])
        acquired, previous, previous_ttl_ms, current, current_ttl_ms = (int(v) for v in reply)
        remaining, reset_at = window_stats(
            item.amount, expiry, previous, previous_ttl_ms / 1000, current, current_ttl_ms / 1000
        )
        return bool(acquired), remaining, reset_at


def window_stats(
    amount: int,
    expiry: int,
    previous: int,
    previous_expires_in: float,
    current: int,
    current_expires_in: float,
    now: float | None = None,
) -> tuple[int, float]:
    """(remaining, reset time) exactly as `SlidingWindowCounterRateLimiter.get_window_stats`."""
    now = time.time() if now is None else now
    weighted = previous * previous_expires_in / expiry + current
    remaining = max(0, amount - floor(weighted))
    if not (previous or current):
        return remaining, now
    previous_reset_in = previous_expires_in % (expiry / previous) if previous else inf
    current_reset_in = current_expires_in % expiry if current else inf
    return remaining, now + min(previous_reset_in, current_reset_in)
