"""SELECTs compiled once and run on asyncpg directly: PostgreSQL's hot read paths (shell).

Through SQLAlchemy's async layer one read of twenty users cost about 1 ms of CPU on this
project's bench machine; the same statement through asyncpg's own prepared-statement cache
about 0.2 ms (and 0.37 ms with the rows mapped to entities). The difference is the layer, not
the database: a greenlet switch, the compiled-statement cache lookup, the cursor adapter and
the result object, per statement.

`Prepared` keeps the statement as SQLAlchemy Core (one definition for every dialect). On
PostgreSQL it compiles it once with the connection's dialect and, per call, hands the SQL and
the values to the asyncpg connection under the pooled SQLAlchemy connection; the type's own
bind and result processors still run, so the values are the ones `execute` would give (a
`uuid.UUID`, an aware UTC datetime). Other dialects run the statement through SQLAlchemy as
before. Queries keep their metrics: the database's query recorder (left in the connection's
`info` by `Database`) hears these as it hears every other statement.

Only on connections outside a transaction (`Database.read()`, autocommit on PostgreSQL): the
SQLAlchemy connection does not see these statements, so inside a unit of work (a transaction
of its own) the statement goes through SQLAlchemy, where it belongs to that transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Row, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

QUERY_RECORDER_KEY: Final = "boundary_query_recorder"
"""`conn.info[...]`: `(sql, elapsed_ms) -> None`, set by `Database` on every connection."""

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    binds: tuple[tuple[str, Any, Processor], ...]
    """(name, default value, bind processor) in positional order."""
    results: tuple[Processor, ...]


class Prepared:
    """One SELECT, run as cheaply as its connection's dialect allows."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._postgresql: _Compiled | None = None

    @property
    def compiled(self) -> bool:
        """Whether it has run on PostgreSQL's driver directly (compiled for it) yet."""
        return self._postgresql is not None

    async def rows(
        self, conn: AsyncConnection, values: Mapping[str, Any]
    ) -> Sequence[Row[Any] | tuple[Any, ...]]:
        """Every row, each a sequence of the selected columns' values."""
        if conn.dialect.name != "postgresql" or not _autocommit(conn):
            result = await conn.execute(self.statement, dict(values))
            return list(result.all())
        compiled = self._postgresql or self._compile(conn.dialect)
        args = [
            value if process is None else process(value)
            for name, default, process in compiled.binds
            for value in (values.get(name, default),)
        ]
        raw = await conn.get_raw_connection()
        started = time.perf_counter()
        records = await raw.driver_connection.fetch(compiled.sql, *args)  # type: ignore[union-attr]
        recorder = conn.info.get(QUERY_RECORDER_KEY)
        if recorder is not None:
            recorder(compiled.sql, (time.perf_counter() - started) * 1000)
        results = compiled.results
        if not any(results):
            return [tuple(record) for record in records]
        return [
            tuple(
                value if process is None else process(value)
                for process, value in zip(results, record, strict=True)
            )
            for record in records
        ]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        names = compiled.positiontup or []
        binds = []
        for name in names:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError(f"Prepared: expanding parameter {name!r} is not supported")
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, bind.effective_value, process))
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        self._postgresql = _Compiled(sql=compiled.string, binds=tuple(binds), results=results)
        return self._postgresql


def _autocommit(conn: AsyncConnection) -> bool:
    options = conn.sync_connection.get_execution_options() if conn.sync_connection else {}
    return bool(options.get("isolation_level") == "AUTOCOMMIT")
