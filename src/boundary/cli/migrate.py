"""`boundary migrate …` (entry): status, migrate [--dry-run], rollback [--steps N], create NAME.

Exit codes (§2):
- 0: success — including "nothing to apply" and a status that prints warnings (drift, a
  missing file, a migration without a down file).
- 1: runtime failure — a statement failed, the database is unreachable, the migration lock
  timed out, or the database refused the runner's own queries.
- 2: usage or configuration — bad options, an invalid NAME or --steps, configuration errors,
  a missing migrations directory, invalid migration files (malformed names, duplicate ids,
  DELIMITER lines, BEGIN/COMMIT statements), or a rollback refused because a selected
  migration has no down file. All of these are found before anything is changed.
Every error is one line on stderr; output lines go to stdout.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import orjson
import typer

from boundary.cli.common import ConfigDirOpt, EnvOpt, fail, load

if TYPE_CHECKING:
    from boundary.config.model import Settings
    from boundary.migrations.core import Migration, Revert
    from boundary.migrations.shell import MigrationRunner, Statement

    Planned = Migration | Revert

T = TypeVar("T")

migrate_app = typer.Typer(help="Apply, inspect and roll back SQL migrations.", no_args_is_help=True)


@migrate_app.command("status")
def status(env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Each migration: id, name, applied-at or pending; warns when an applied file changed."""
    from boundary.migrations import core

    report = _run(_settings(env, config_dir), lambda runner: runner.status())
    lines = core.status_lines(report.rows) + core.warning_lines(report.rows, report.warnings)
    _echo(lines or ["no migrations"])


@migrate_app.command("migrate")
def migrate(
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print what would run; change nothing")
    ] = False,
) -> None:
    """Apply pending migrations in order (each in its own transaction where possible);
    --dry-run prints each pending migration and the SQL statements it would run."""
    verb = "applied"

    async def action(runner: MigrationRunner) -> list[str]:
        if dry_run:
            return _plan_lines("would apply", await runner.plan_migrate())
        names = runner.available().names()
        return _report(verb, await _completing(runner.migrate(), verb, names), names)

    _echo(_run(_settings(env, config_dir), action) or ["nothing to apply"])


@migrate_app.command("rollback")
def rollback(
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
    steps: Annotated[int, typer.Option("--steps", help="how many migrations to revert")] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the SQL that would run; change nothing")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="drop tables holding rows without asking")
    ] = False,
) -> None:
    """Revert the last N applied migrations (newest first) with their .down.sql files.

    Before dropping a table that still holds rows it asks for confirmation; without a
    terminal it refuses (exit 2) unless --yes is given."""
    if steps < 1:
        fail(f"--steps must be a positive integer (got {steps})", 2)
    settings = _settings(env, config_dir)

    async def action(runner: MigrationRunner) -> list[str]:
        plan = await runner.plan_rollback(steps=steps)
        if dry_run:
            return _plan_lines("would roll back", plan)
        if not yes:
            await _confirm_drops(runner, plan)
        names = runner.available().names()
        done = await _completing(runner.rollback(steps=steps), "rolled back", names)
        return _report("rolled back", done, names)

    _echo(_run(settings, action) or ["nothing to roll back"])


@migrate_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="lowercase letters, digits, dashes, underscores")],
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Write migrations/YYYYMMDD-HHMMSS-NAME.up.sql and .down.sql; print both paths."""
    from boundary.migrations.shell import MigrationRefused, create_migration

    directory = Path(_settings(env, config_dir).database.migrations_dir)
    try:
        paths = create_migration(directory, name, datetime.now(UTC))
    except MigrationRefused as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"cannot write to {directory}: {exc.strerror or exc}", 1)
    _echo(str(path) for path in paths)


# --- plumbing ------------------------------------------------------------------------------


_JSON_OUTPUT: dict[str, bool] = {"on": False}
"""Whether results print as JSON lines: set once per command by `_settings`."""


def _settings(env: str | None, config_dir: Path | None) -> Settings:
    """Validated settings (exit 2 otherwise), with logging set up as configured. With JSON
    logs (prod's default) stdout carries only the results, as JSON lines, and the log lines go
    to stderr, so a script or a log collector never has to tell the two apart."""
    from boundary.observability.logging import configure_logging

    settings = load(env, config_dir).settings
    json_output = settings.logging.format == "json"
    _JSON_OUTPUT["on"] = json_output
    configure_logging(
        level=settings.logging.level,
        fmt=settings.logging.format,
        service=settings.metrics.service,
        stream=sys.stderr if json_output else None,
    )
    return settings


def _run(settings: Settings, action: Callable[[MigrationRunner], Awaitable[T]]) -> T:
    """Run `action` with a runner on a fresh pool (closed after); errors → one line + exit."""
    from boundary.db.errors import DatabaseUnavailable
    from boundary.db.shell.url import display_url
    from boundary.migrations.shell import MigrationError, MigrationRefused

    try:
        return asyncio.run(_with_runner(settings, action))
    except MigrationRefused as exc:
        fail(str(exc), 2)
    except MigrationError as exc:
        fail(str(exc), 1)
    except DatabaseUnavailable as exc:
        fail(f"{exc} ({display_url(settings.database.url)})", 1)


async def _with_runner(settings: Settings, action: Callable[[MigrationRunner], Awaitable[T]]) -> T:
    from boundary.db.shell.engine import Database
    from boundary.migrations.shell import MigrationRunner
    from boundary.observability.logging import get_logger
    from boundary.observability.metrics.shell.noop import NoopMetrics

    db = settings.database
    database = Database(
        db.url,
        pool_size=db.pool_size,
        pool_timeout_ms=db.pool_timeout_ms,
        metrics=NoopMetrics(),
        logger=get_logger("boundary.db"),
    )
    try:
        # The CLI prints one line per migration itself; the runner's own lines go to debug.
        runner = MigrationRunner(
            database, Path(db.migrations_dir), get_logger("boundary.migrations"), announce=False
        )
        return await action(runner)
    finally:
        await database.close()


async def _completing(work: Awaitable[list[str]], verb: str, names: Mapping[str, str]) -> list[str]:
    """`work`'s ids; if it fails part-way, first print the ones it finished."""
    from boundary.migrations.shell import MigrationError

    try:
        return await work
    except MigrationError as exc:
        _echo(_report(verb, exc.completed, names))
        raise


def _plan_lines(verb: str, plan: Sequence[tuple[Planned, Sequence[Statement]]]) -> list[str]:
    """`verb ID NAME` per migration, then each statement it would run, indented."""
    lines: list[str] = []
    for step, statements in plan:
        lines.append(f"{verb} {step.id} {step.name}".rstrip())
        if not statements:
            lines.append("  -- no SQL statements (empty or comments only)")
        for statement in statements:
            lines += [f"  {line}" for line in f"{statement.shown};".splitlines()]
    return lines


async def _confirm_drops(
    runner: MigrationRunner, plan: Sequence[tuple[Planned, Sequence[Statement]]]
) -> None:
    """Ask before a rollback drops tables holding rows; refuse without a terminal."""
    from boundary.migrations.core import dropped_tables

    tables = [t for _, statements in plan for s in statements for t in dropped_tables(s.shown)]
    counts = {t: n for t, n in (await runner.row_counts(tables)).items() if n > 0}
    if not counts:
        return
    holding = ", ".join(f"{table} ({n} rows)" for table, n in counts.items())
    question = f"rollback drops tables holding rows: {holding}"
    if not sys.stdin.isatty():
        fail(f"{question}; re-run with --yes to confirm", 2)
    if not typer.confirm(f"{question}. Continue?", default=False, err=True):
        fail("rollback cancelled; nothing changed", 1)


def _report(verb: str, ids: Iterable[str], names: Mapping[str, str]) -> list[str]:
    return [f"{verb} {i} {names.get(i, '')}".rstrip() for i in ids]


def _echo(lines: Iterable[str]) -> None:
    for line in lines:
        typer.echo(orjson.dumps({"output": line}).decode() if _JSON_OUTPUT["on"] else line)
