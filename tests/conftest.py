"""Shared fixtures: real databases per dialect, created fresh and dropped (§12)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.databases import DIALECTS, create_database, drop_database
from tests.support.sentry_ingest import Ingest

FreshDatabase = Callable[[str], str]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
