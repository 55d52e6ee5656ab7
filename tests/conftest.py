"""Shared fixtures: real databases per dialect, created fresh and dropped; the markers.

Markers (registered in pyproject.toml, applied here so no test has to remember them):
`e2e`, `ops` and `browser` by directory; `db` on a test in tests/unit, contract or integration
that needs a database or cache server — PostgreSQL, MySQL/MariaDB or Redis — found by its
parameter (`database_url`'s `postgresql`, a `redis` storage…), or marked by hand where the
test asks for a server itself, which `fresh_database` checks. (e2e, ops and browser tests use
servers too, and are left out of `make test-fast` whole.) `make test-fast` runs what has
none of the four.
"""

from __future__ import annotations

import asyncio
import selectors
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.support.databases import DIALECTS, create_database, drop_database
from tests.support.sentry_ingest import Ingest

FreshDatabase = Callable[[str], str]

# `make test-fast` runs property tests with fewer examples (`--hypothesis-profile=fast`): the
# edit-test loop finds the common slip; `make test` (CI) keeps Hypothesis's default 100.
settings.register_profile("fast", max_examples=20)

TESTS = Path(__file__).resolve().parent
DIRECTORY_MARKERS = {"e2e": "e2e", "ops": "ops", "browser": "browser"}
SERVER_PARAMETERS = frozenset({"postgresql", "mysql", "redis"})
"""Parameter values that mean "this test runs against a server" (outside tests/unit)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        directory = item.path.relative_to(TESTS).parts[0]
        if directory in DIRECTORY_MARKERS:
            item.add_marker(DIRECTORY_MARKERS[directory])
        if directory == "unit":
            continue
        callspec = getattr(item, "callspec", None)
        values = callspec.params.values() if callspec is not None else ()
        if any(isinstance(v, str) and v in SERVER_PARAMETERS for v in values):
            item.add_marker("db")


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


def _marked_for_servers(node: pytest.Item) -> bool:
    if node.path.relative_to(TESTS).parts[0] in DIRECTORY_MARKERS:
        return True
    return node.get_closest_marker("db") is not None


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabase]:
    """Factory: `fresh_database("postgresql")` → URL of a new empty database (dropped after).

    In tests/unit, contract and integration, a server database for a test without the `db`
    marker is an error: `make test-fast` (`-m "not (db or e2e or ops or browser)"`) must leave
    out every test that needs one. tests/e2e, ops and browser are left out whole."""
    made: list[str] = []

    def make(dialect: str) -> str:
        if dialect != "sqlite" and not _marked_for_servers(request.node):
            pytest.fail(
                f"this test uses a {dialect} server: mark it `db` (pytest.mark.db), or take "
                "the database from the `database_url` fixture, which marks it"
            )
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
