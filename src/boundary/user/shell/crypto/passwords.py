"""Password hashing (shell adapter): argon2id through argon2-cffi, always off the event loop.

Parameters. OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2, p=1 as the minimum for
argon2id. The defaults here are m=64 MiB, t=2, p=1: the same number of passes over 3.4 times
the memory (memory is what makes GPU and ASIC guessing expensive), and the memory size of
RFC 9106's second recommended profile (argon2-cffi's own default). One lane (p=1) because the
work is sized for a 2-core host: lanes beyond the free cores only lengthen every hash once
several logins run at the same time.

Measured on this project's 2-core machine (Intel Xeon, Python 3.11, argon2-cffi 25.1):
one hash or verify with the defaults takes ~110 ms (median; OWASP's minimum m=19 MiB, t=2:
~20 ms); 60 concurrent hashes through the default pool of 2 threads ran at 15-18 hashes/s
(OWASP's minimum: ~100/s), while the event loop's p99 lag stayed under 2 ms. Peak memory is
``memory_cost × pool size`` (128 MiB with the defaults) per process.

Threads. argon2-cffi releases the GIL while hashing, so a thread gives real parallelism. The
work runs in a dedicated, bounded ``ThreadPoolExecutor`` rather than ``asyncio.to_thread``:
the loop's default executor is shared (DNS lookups, file I/O) and sized ``cpu + 4``, so a burst
of logins could start six 64 MiB hashes at once and starve everything else that needs a
thread. A pool of ``min(4, usable CPUs)`` threads (2 here) caps both CPU and memory; extra
requests wait in its queue. Call `close` at shutdown.

Raising the parameters later is safe: `needs_rehash` is true for hashes made with other
parameters, and the login service re-hashes after a successful verify.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_TIME_COST = 2
DEFAULT_MEMORY_COST = 64 * 1024  # KiB
DEFAULT_PARALLELISM = 1
MAX_DEFAULT_WORKERS = 4

_T = TypeVar("_T")


def default_workers() -> int:
    """Threads for the hashing pool: the CPUs this process may use, at most four."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform (macOS, Windows)
        usable = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, usable))


class Argon2Passwords:
    """Hashes and verifies passwords with argon2id in a bounded thread pool."""

    def __init__(
        self,
        *,
        time_cost: int = DEFAULT_TIME_COST,
        memory_cost: int = DEFAULT_MEMORY_COST,
        parallelism: int = DEFAULT_PARALLELISM,
        max_workers: int | None = None,
    ) -> None:
        """`memory_cost` is in KiB. `max_workers` defaults to `default_workers()`."""
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
        )
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers or default_workers(), thread_name_prefix="argon2"
        )
        self._dummy_password = _encode(secrets.token_urlsafe(32))
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    async def hash(self, password: str) -> str:
        """A new salted argon2id hash (PHC string) of `password`."""
        return await self._run(self._hasher.hash, _encode(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches; False (never an exception) for a malformed hash."""
        return await self._run(self._verify_now, password_hash, _encode(password))

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (or is no argon2 hash at all)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except ValueError:  # InvalidHashError, or a hash that is not even ASCII
            return True

    async def verify_dummy(self, password: str) -> None:
        """Spend what `verify` spends, for a login whose email matched no user."""
        await self._run(self._verify_dummy_now, _encode(password))

    async def warm_up(self) -> None:
        """Compute the dummy hash now, so the first unknown-email login costs one verify."""
        await self._run(self._dummy)

    def close(self) -> None:
        """Stop the pool: queued work is cancelled, running hashes finish in the background."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, work: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, *args)

    def _verify_now(self, password_hash: str, password: bytes) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, ValueError):
            return False

    def _verify_dummy_now(self, password: bytes) -> None:
        self._verify_now(self._dummy(), password)

    def _dummy(self) -> str:
        """The dummy hash, made once with this hasher's parameters (in a worker thread)."""
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(self._dummy_password)
            return self._dummy_hash


def _encode(password: str) -> bytes:
    """UTF-8 bytes; a lone surrogate (valid in JSON, not in UTF-8) is kept, never an error."""
    return password.encode("utf-8", "surrogatepass")
