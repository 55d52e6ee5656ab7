"""The rate limiter (shell): the `limits` library's async strategies over memory or Redis.

`rate_limit.storage_url` picks the shared storage: `memory://` (this process only) or
`redis://…` / `rediss://…` (every process and replica together, through redis-py). Every
call to a remote storage is bounded by `storage_timeout` (100 ms by default), so no request
waits on Redis longer than that. When the storage fails or times out the limiter:

- answers from process-local fallback counters (`core.on_storage_failure` decides, per the
  quota's `open` / `closed` mode; `closed` quotas keep their local counters in step all along);
- skips the storage for `retry_interval` (one probe per interval, so an outage costs requests
  nothing) and recovers by itself on the first call that succeeds;
- logs one ERROR `rate_limit_storage_unavailable` per `error_log_interval` (with the number of
  failures it did not log), and INFO `rate_limit_storage_recovered` when it is back.

`storage_ok` is the non-critical `rate_limit_storage` health check.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, Literal, TypeVar
from urllib.parse import urlsplit

import limits
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import storage_from_string

from boundary.kernel.redaction import redact_url
from boundary.observability.logging import Logger
from boundary.ratelimit import core
from boundary.ratelimit.core import Decision, Mode, Quota
from boundary.ratelimit.shell.redis_sliding import SlidingWindowScript

if TYPE_CHECKING:
    import redis.asyncio

Strategy = Literal["moving-window", "sliding-window-counter"]
STRATEGIES: Final[dict[str, type[MovingWindowRateLimiter | SlidingWindowCounterRateLimiter]]] = {
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}
REMOTE_SCHEMES: Final = frozenset({"redis", "rediss"})
SUPPORTED_SCHEMES: Final = REMOTE_SCHEMES | {"memory"}
_T = TypeVar("_T")


class StorageUnavailable(Exception):
    """The shared storage failed, timed out, or is being skipped after a recent failure."""


def make_quota(name: str, rate: str, mode: Mode = "open") -> Quota:
    """A quota from a configured rate (`100/minute`, `5/15minutes`); `ValueError` if unreadable."""
    item = limits.parse(rate)
    return Quota(name=name, rate=rate, amount=item.amount, window=item.get_expiry(), mode=mode)


def open_storage(
    url: str, *, key_prefix: str, timeout: float
) -> tuple[Storage, redis.asyncio.ConnectionPool | None]:
    """The async storage for `url` and, for Redis, the connection pool it runs on, which the
    caller closes (limits' storages have no close of their own); a Redis connect gives up
    after `timeout` seconds.

    Reads carry no socket timeout of their own: every call is already bounded by
    `asyncio.timeout` in `LimitsLimiter`, and redis-py's per-read timeout costs a third of
    a command's CPU (measured: 104 → 72 µs per PING under uvloop).
    """
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_SCHEMES:
        raise ValueError(f"rate_limit.storage_url: unsupported scheme {scheme!r}")
    if scheme == "memory":
        return MemoryStorage(), None
    # Imported here: a worker limiting in memory never loads the Redis client.
    from redis.asyncio import ConnectionPool

    # `connection_pool` is a documented parameter of limits' async RedisStorage (its client is
    # built on the pool), though its annotation admits only scalar options.
    pool = ConnectionPool.from_url(url, socket_connect_timeout=timeout)
    storage = storage_from_string(
        "async+" + url,
        implementation="redispy",
        key_prefix=key_prefix,
        connection_pool=pool,  # type: ignore[arg-type]
    )
    assert isinstance(storage, Storage)
    return storage, pool


class LimitsLimiter:
    """`ports.Limiter` over a shared `limits` storage with a local in-memory fallback."""

    def __init__(
        self,
        storage_url: str,
        *,
        logger: Logger,
        strategy: Strategy = "sliding-window-counter",
        timeout: float = 0.1,
        key_prefix: str = "boundary",
        retry_interval: float = 1.0,
        error_log_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        storage: Storage | None = None,
    ) -> None:
        self._pool: redis.asyncio.ConnectionPool | None = None
        if storage is None:
            storage, self._pool = open_storage(storage_url, key_prefix=key_prefix, timeout=timeout)
        self._storage = storage
        self._shared: RateLimiter = STRATEGIES[strategy](self._storage)
        self._remote = not isinstance(self._storage, MemoryStorage)
        # Redis + sliding-window counter: hit and window stats in one round trip.
        self._script: SlidingWindowScript | None = None
        if self._remote and strategy == "sliding-window-counter":
            with contextlib.suppress(TypeError):
                self._script = SlidingWindowScript(self._storage)
        self._local_storage = MemoryStorage()
        self._local: RateLimiter = STRATEGIES[strategy](self._local_storage)
        self._items: dict[str, limits.RateLimitItem] = {}
        self._log = logger
        self._url = redact_url(storage_url)
        self._timeout = timeout
        self._retry_interval = retry_interval
        self._error_log_interval = error_log_interval
        self._clock = clock
        self._healthy = True
        self._skip_until = 0.0
        self._next_error_log = 0.0
        self._unlogged_failures = 0
        self._down_since = 0.0

    @property
    def remote(self) -> bool:
        """Whether limits are shared beyond this process (Redis)."""
        return self._remote

    # --- the port ------------------------------------------------------------------------------

    async def hit(self, quota: Quota, key: str) -> Decision:
        local = await self._hit(self._local, quota, key) if self._mirrored(quota) else None
        try:
            return await self._shared_call(lambda: self._hit_shared(quota, key))
        except StorageUnavailable:
            if local is None:
                local = await self._hit(self._local, quota, key)
            return core.on_storage_failure(quota, local)

    async def peek(self, quota: Quota, key: str) -> Decision:
        try:
            return await self._shared_call(lambda: self._peek(self._shared, quota, key))
        except StorageUnavailable:
            return core.on_storage_failure(quota, await self._peek(self._local, quota, key))

    async def record(self, quota: Quota, key: str) -> None:
        item = self._item(quota)
        if self._mirrored(quota):
            await self._local.hit(item, quota.name, key)
        try:
            await self._shared_call(lambda: self._shared.hit(item, quota.name, key))
        except StorageUnavailable:
            if not self._mirrored(quota):
                await self._local.hit(item, quota.name, key)

    # --- health and lifetime -------------------------------------------------------------------

    async def storage_ok(self) -> None:
        """Return when the shared storage answers a ping within the timeout; raise otherwise."""
        try:
            async with asyncio.timeout(self._timeout):
                ok = await self._storage.check()
            if not ok:
                raise ConnectionError("rate limit storage did not answer PING")
        except Exception as exc:
            self._failed(exc)
            raise
        self._recovered()

    async def aclose(self) -> None:
        """Close the Redis connections and stop the memory storages' expiry tasks."""
        for storage in (self._storage, self._local_storage):
            # limits starts this task on a hit and cancels it only when the storage is
            # garbage-collected; the test of `aclose` pins that nothing is left running.
            if isinstance(storage, MemoryStorage) and storage.timer is not None:
                storage.timer.cancel()
        if self._pool is not None:
            await self._pool.aclose()

    # --- internals -----------------------------------------------------------------------------

    def _mirrored(self, quota: Quota) -> bool:
        return self._remote and core.mirrors_locally(quota)

    def _item(self, quota: Quota) -> limits.RateLimitItem:
        item = self._items.get(quota.rate)
        if item is None:
            item = self._items[quota.rate] = limits.parse(quota.rate)
        return item

    async def _hit_shared(self, quota: Quota, key: str) -> Decision:
        if self._script is None:
            return await self._hit(self._shared, quota, key)
        allowed, remaining, reset_at = await self._script.hit(self._item(quota), quota.name, key)
        return core.decide(
            quota, allowed=allowed, remaining=remaining, reset_at=reset_at, now=time.time()
        )

    async def _hit(self, strategy: RateLimiter, quota: Quota, key: str) -> Decision:
        """Count and decide: one hit, then the window's stats for the headers."""
        item = self._item(quota)
        allowed = await strategy.hit(item, quota.name, key)
        stats = await strategy.get_window_stats(item, quota.name, key)
        return core.decide(
            quota,
            allowed=allowed,
            remaining=stats.remaining,
            reset_at=stats.reset_time,
            now=time.time(),
        )

    async def _peek(self, strategy: RateLimiter, quota: Quota, key: str) -> Decision:
        stats = await strategy.get_window_stats(self._item(quota), quota.name, key)
        return core.decide(
            quota,
            allowed=stats.remaining > 0,
            remaining=stats.remaining,
            reset_at=stats.reset_time,
            now=time.time(),
        )

    async def _shared_call(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        """`operation` on the shared storage, bounded by the timeout; `StorageUnavailable` when
        it fails or while a recent failure is being waited out."""
        if not self._remote:
            return await operation()
        if not self._healthy:
            now = self._clock()
            if now < self._skip_until:
                raise StorageUnavailable()
            self._skip_until = now + self._retry_interval  # this call is the one probe
        try:
            async with asyncio.timeout(self._timeout):
                result = await operation()
        except Exception as exc:
            self._failed(exc)
            raise StorageUnavailable() from exc
        self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        now = self._clock()
        if self._healthy:
            self._healthy = False
            self._down_since = now
        self._skip_until = now + self._retry_interval
        if now < self._next_error_log:
            self._unlogged_failures += 1
            return
        self._next_error_log = now + self._error_log_interval
        self._log.error(
            "rate_limit_storage_unavailable",
            storage=self._url,
            timeout_ms=round(self._timeout * 1000),
            unlogged_failures=self._unlogged_failures,
            **{"error.kind": type(exc).__name__, "error.message": str(exc) or repr(exc)},
        )
        self._unlogged_failures = 0

    def _recovered(self) -> None:
        if self._healthy:
            return
        self._healthy = True
        self._skip_until = 0.0
        self._log.info(
            "rate_limit_storage_recovered",
            storage=self._url,
            outage_s=round(self._clock() - self._down_since, 3),
        )
