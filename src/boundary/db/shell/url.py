"""`DATABASE_URL` → the async driver URL SQLAlchemy needs (shell: touches the filesystem).

The contract's URLs are driver-less (`postgresql://`, `postgres://`, `mysql://`, `sqlite:///`);
SQLAlchemy 2.1 would pick sync drivers for them (psycopg, MySQLdb) and rejects `postgres://`,
so the scheme is rewritten to asyncpg / asyncmy / aiosqlite here, in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url

from boundary.kernel.redaction import redact_url

Dialect = Literal["postgresql", "mysql", "sqlite"]

_DRIVERS: dict[str, tuple[Dialect, str]] = {
    "postgresql": ("postgresql", "postgresql+asyncpg"),
    "postgres": ("postgresql", "postgresql+asyncpg"),
    "mysql": ("mysql", "mysql+asyncmy"),
    "mariadb": ("mysql", "mysql+asyncmy"),
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
}


def dialect_of(url: str) -> Dialect:
    """`postgresql`, `mysql` or `sqlite` for a configured URL (driver suffix ignored)."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in _DRIVERS:
        raise ValueError(f"unsupported database URL scheme {scheme!r}")
    return _DRIVERS[scheme][0]


def async_url(url: str) -> URL:
    """The SQLAlchemy URL with the async driver of the URL's dialect."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    parsed = make_url(url).set(drivername=_DRIVERS[scheme][1])
    if parsed.drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    return url.drivername.startswith("sqlite") and url.database in (None, "", ":memory:")


def ensure_sqlite_directory(url: URL) -> None:
    """Create the directory of a file-backed SQLite database (e.g. `var/`) if it is missing."""
    if url.drivername.startswith("sqlite") and not is_memory_sqlite(url) and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def display_url(url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    return redact_url(url)
