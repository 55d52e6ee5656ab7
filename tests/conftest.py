"""Shared fixtures: real databases per dialect, created fresh and dropped (§12)."""

from __future__ import annotations

import asyncio
import selectors
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import DIALECTS, create_database, drop_database
from tests.support.sentry_ingest import Ingest

FreshDatabase = Callable[[str], str]


class _WakingSelector(selectors.EpollSelector):
    """epoll that returns at least every `MAX_SLEEP` seconds, so the event loop re-checks its
    ready queue even when nothing woke it.

    Twice (once in CI, once here) the suite stalled for minutes in an async fixture's teardown
    with the loop idle in `epoll_wait` and neither pytest-timeout's SIGALRM nor anything else
    getting through; attaching a debugger (which interrupts the syscall) let it finish at once
    and every test passed — the signature of a callback queued without waking the loop. Until
    the culprit is found, the tests' loop cannot sleep through one for more than a moment.
    """

    MAX_SLEEP = 0.25

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout > self.MAX_SLEEP:
            timeout = self.MAX_SLEEP
        return super().select(timeout)


def _waking_loop() -> asyncio.AbstractEventLoop:
    return asyncio.SelectorEventLoop(_WakingSelector())


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {"loop_factory": _waking_loop})


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[FreshDatabase]:
    """Factory: `fresh_database("postgresql")` → URL of a new empty database (dropped after)."""
    made: list[str] = []

    def make(dialect: str) -> str:
        url = create_database(dialect, tmp_path)
        made.append(url)
        return url

    yield make
    for url in made:
        drop_database(url)


@pytest.fixture(params=DIALECTS)
def database_url(request: pytest.FixtureRequest, fresh_database: FreshDatabase) -> str:
    """The same test once per database: SQLite, PostgreSQL, MySQL/MariaDB — each fresh."""
    return fresh_database(request.param)


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    """A local stand-in for Sentry's ingest endpoint, serving on a free port."""
    server = Ingest()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
