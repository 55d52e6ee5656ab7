"""Migration planning (functional core): file names, contents and applied rows → steps.

Everything here works on plain data handed in by the shell — the directory's `*.sql` files as
`{filename: bytes}`, the rows of `schema_migrations`, the dialect, the current time — and
returns values: a `Catalog` of migrations, status rows, the migrations to apply, the reverts to
run, or `Invalid(problems)` saying why the request cannot be carried out. No I/O, no clock, no
SQL driver; `shell.py` reads, locks, executes and records.

File names: `YYYYMMDD-HHMMSS-name.up.sql` and `.down.sql`. A dialect variant
`YYYYMMDD-HHMMSS-name.postgresql.up.sql` (or `.mysql.`, `.sqlite.`) replaces the portable file
of the same direction for that dialect only. The id is `YYYYMMDD-HHMMSS`, so ids sort in time
order; the checksum (what drift is measured against) is the SHA-256 of the chosen up file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

Dialect = Literal["postgresql", "mysql", "sqlite"]
Direction = Literal["up", "down"]

DIALECTS: Final[tuple[Dialect, ...]] = ("postgresql", "mysql", "sqlite")
ID_FORMAT: Final = "%Y%m%d-%H%M%S"
NAME_MAX_LENGTH: Final = 100
EXPECTED_NAME: Final = (
    "expected YYYYMMDD-HHMMSS-name.up.sql or .down.sql "
    "(optionally .postgresql, .mysql or .sqlite before .up/.down)"
)

_FILENAME = re.compile(
    r"(?P<id>\d{8}-\d{6})-(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)"
    r"(?:\.(?P<dialect>postgresql|mysql|sqlite))?\.(?P<direction>up|down)\.sql"
)
_NEW_NAME = re.compile(r"[a-z0-9_-]+")
# The mysql client's `DELIMITER //` alone on a line (not a column named `delimiter`).
_DELIMITER_LINE = re.compile(r"^[ \t]*DELIMITER[ \t]+[^\w\s]\S*[ \t]*$", re.I | re.M)
_TRANSACTION_CONTROL = re.compile(
    r"(?:BEGIN|COMMIT|ROLLBACK|END|START\s+TRANSACTION)(?:\s+(?:WORK|TRANSACTION))?\s*;?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a request cannot be carried out; nothing has been (or may be) changed."""

    problems: tuple[str, ...]

    @property
    def message(self) -> str:
        """All problems on one line, for a CLI error or an exception message."""
        return "; ".join(self.problems)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileName:
    """What a migration file's name says about it."""

    filename: str
    id: str
    name: str
    dialect: Dialect | None
    direction: Direction


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    """One SQL file chosen for the dialect: its name, text and SHA-256 of its bytes."""

    filename: str
    sql: str
    checksum: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """A migration as available on disk for one dialect; `down` is None when it has none."""

    id: str
    name: str
    up: Script
    down: Script | None

    @property
    def checksum(self) -> str:
        return self.up.checksum


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """The migrations of a directory in id order, and what deserves a warning."""

    migrations: tuple[Migration, ...]
    warnings: tuple[str, ...] = ()

    def names(self) -> dict[str, str]:
        """id → name, for output that only has ids."""
        return {m.id: m.name for m in self.migrations}


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    """One row of `schema_migrations`; `applied_at` is timezone-aware UTC."""

    id: str
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRow:
    """One line of `migrate status`: pending when `applied_at` is None.

    `drift`: applied, but the up file's checksum differs from the recorded one.
    `file_missing`: applied, but no file for it exists any more.
    """

    id: str
    name: str
    applied_at: datetime | None
    recorded_checksum: str | None = None
    current_checksum: str | None = None
    drift: bool = False
    file_missing: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    """What `migrate status` shows: a row per migration and the catalog's warnings."""

    rows: tuple[StatusRow, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Revert:
    """One rollback step: run `down`, then forget the migration's row."""

    id: str
    name: str
    down: Script


@dataclass(frozen=True, slots=True, kw_only=True)
class _Group:
    """The files that share one id, keyed by (dialect or None, direction)."""

    id: str
    name: str
    files: dict[tuple[Dialect | None, Direction], str] = field(default_factory=dict)


# --- file names ----------------------------------------------------------------------------


def parse_filename(filename: str) -> FileName | Invalid:
    """The parts of a migration file name, or why it is not one."""
    match = _FILENAME.fullmatch(filename)
    if match is None:
        return Invalid((f"{filename}: not a migration file name; {EXPECTED_NAME}",))
    if not _valid_id(match["id"]):
        return Invalid((f"{filename}: {match['id']} is not a valid date-time (YYYYMMDD-HHMMSS)",))
    dialect = match["dialect"]
    return FileName(
        filename=filename,
        id=match["id"],
        name=match["name"],
        dialect=_dialect(dialect) if dialect else None,
        direction="up" if match["direction"] == "up" else "down",
    )


def _valid_id(migration_id: str) -> bool:
    try:
        datetime.strptime(migration_id, ID_FORMAT)
    except ValueError:
        return False
    return True


def _dialect(value: str) -> Dialect:
    for dialect in DIALECTS:
        if dialect == value:
            return dialect
    raise ValueError(value)


def checksum(content: bytes) -> str:
    """SHA-256 hex of a file's bytes: what `schema_migrations.checksum` records."""
    return hashlib.sha256(content).hexdigest()


# --- the catalog ---------------------------------------------------------------------------


def catalog(files: Mapping[str, bytes], dialect: Dialect) -> Catalog | Invalid:
    """The migrations `files` define for `dialect`, in id order — or every problem found.

    Problems (nothing may run): malformed names, two names for one id, a down file or a
    dialect variant without any up file for `dialect`, a file that is not UTF-8.
    Warnings (it still runs): a migration without a down file — its rollback refuses later.
    """
    groups, problems = _group(sorted(files))
    migrations: list[Migration] = []
    warnings: list[str] = []
    for group in groups:
        built = _migration(group, files, dialect)
        if isinstance(built, Invalid):
            problems.extend(built.problems)
            continue
        migrations.append(built)
        if built.down is None:
            warnings.append(f"{built.id} {built.name} has no down file: it cannot be rolled back")
    if problems:
        return Invalid(tuple(problems))
    return Catalog(migrations=tuple(migrations), warnings=tuple(warnings))


def _group(filenames: Iterable[str]) -> tuple[list[_Group], list[str]]:
    """Files grouped by id (in id order), and the names that do not fit."""
    groups: dict[str, _Group] = {}
    problems: list[str] = []
    for filename in filenames:
        parsed = parse_filename(filename)
        if isinstance(parsed, Invalid):
            problems.extend(parsed.problems)
            continue
        group = groups.setdefault(parsed.id, _Group(id=parsed.id, name=parsed.name))
        if parsed.name != group.name:
            first = next(iter(group.files.values()))
            problems.append(f"duplicate migration id {parsed.id}: {first} and {filename}")
            continue
        group.files[(parsed.dialect, parsed.direction)] = filename
    return [groups[key] for key in sorted(groups)], problems


def _migration(group: _Group, files: Mapping[str, bytes], dialect: Dialect) -> Migration | Invalid:
    up_name = _choose(group, dialect, "up")
    if up_name is None:
        present = ", ".join(sorted(group.files.values()))
        return Invalid(
            (
                f"{group.id}-{group.name}: no up file for {dialect} (found {present}); "
                f"add {group.id}-{group.name}.up.sql or {group.id}-{group.name}.{dialect}.up.sql",
            )
        )
    down_name = _choose(group, dialect, "down")
    up = _script(up_name, files[up_name])
    down = None if down_name is None else _script(down_name, files[down_name])
    if isinstance(up, Invalid) or isinstance(down, Invalid):
        return Invalid(tuple(p for s in (up, down) if isinstance(s, Invalid) for p in s.problems))
    return Migration(id=group.id, name=group.name, up=up, down=down)


def _choose(group: _Group, dialect: Dialect, direction: Direction) -> str | None:
    """The dialect's variant if there is one, else the portable file, else None."""
    return group.files.get((dialect, direction)) or group.files.get((None, direction))


def _script(filename: str, content: bytes) -> Script | Invalid:
    try:
        sql = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Invalid((f"{filename}: not UTF-8 (byte {exc.start})",))
    return Script(filename=filename, sql=sql, checksum=checksum(content))


# --- plans ---------------------------------------------------------------------------------


def status(available: Sequence[Migration], applied: Sequence[Applied]) -> tuple[StatusRow, ...]:
    """One row per migration known from the files or the table, in id order."""
    files = {m.id: m for m in available}
    rows = {a.id: _applied_row(a, files.get(a.id)) for a in applied}
    for migration in available:
        rows.setdefault(
            migration.id, StatusRow(id=migration.id, name=migration.name, applied_at=None)
        )
    return tuple(rows[key] for key in sorted(rows))


def _applied_row(applied: Applied, migration: Migration | None) -> StatusRow:
    current = None if migration is None else migration.checksum
    return StatusRow(
        id=applied.id,
        name=applied.name if migration is None else migration.name,
        applied_at=applied.applied_at,
        recorded_checksum=applied.checksum,
        current_checksum=current,
        drift=current is not None and current != applied.checksum,
        file_missing=migration is None,
    )


def pending(available: Sequence[Migration], applied: Collection[str]) -> tuple[Migration, ...]:
    """The migrations not yet applied, in id order (older ids merged late included)."""
    return tuple(m for m in sorted(available, key=_by_id) if m.id not in applied)


def _by_id(migration: Migration) -> str:
    return migration.id


def rollback_plan(
    applied: Sequence[Applied], available: Sequence[Migration], steps: int
) -> tuple[Revert, ...] | Invalid:
    """The last `steps` applied migrations, most recently applied first, with their down files.

    All or nothing: if any selected migration has no down file (or no files at all), the whole
    rollback is refused before anything runs, naming each such migration.
    """
    if steps < 1:
        return Invalid((f"steps must be a positive integer (got {steps})",))
    newest = sorted(applied, key=lambda a: (a.applied_at, a.id), reverse=True)[:steps]
    files = {m.id: m for m in available}
    reverts: list[Revert] = []
    problems: list[str] = []
    for row in newest:
        migration = files.get(row.id)
        if migration is None or migration.down is None:
            problems.append(_no_down(row, migration))
            continue
        reverts.append(Revert(id=row.id, name=migration.name, down=migration.down))
    if problems:
        return Invalid((*problems, "nothing was rolled back"))
    return tuple(reverts)


def _no_down(row: Applied, migration: Migration | None) -> str:
    if migration is None:
        return f"cannot roll back {row.id} {row.name}: its migration files are missing"
    return (
        f"cannot roll back {row.id} {row.name}: no down file "
        f"({row.id}-{row.name}.down.sql) for {migration.up.filename}"
    )


# --- statements ----------------------------------------------------------------------------


def delimiter_problem(filename: str, sql: str) -> str | None:
    """Why a file using the mysql client's DELIMITER command cannot run (it is not SQL)."""
    if _DELIMITER_LINE.search(sql) is None:
        return None
    return (
        f"{filename}: DELIMITER is a mysql client command, not SQL; remove it and end the "
        "compound statement (BEGIN ... END) with a plain ';'"
    )


def statement_problem(filename: str, index: int, statement: str) -> str | None:
    """Why a statement may not appear in a migration: the runner owns the transaction."""
    if _TRANSACTION_CONTROL.fullmatch(statement.strip()) is None:
        return None
    return (
        f"{filename}: statement {index} ({one_line(statement, 40)}) controls the transaction; "
        "remove it — each migration already runs in its own transaction"
    )


def one_line(text: str, limit: int = 80) -> str:
    """`text` with whitespace collapsed, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 2].rstrip() + " …"


# --- create --------------------------------------------------------------------------------


def new_migration_names(name: str, now: datetime) -> tuple[str, str] | Invalid:
    """The up and down file names `migrate create NAME` writes at `now`.

    NAME: lowercase letters, digits, dashes and underscores (underscores become dashes).
    """
    slug = _slug(name)
    if isinstance(slug, Invalid):
        return slug
    stem = f"{now.strftime(ID_FORMAT)}-{slug}"
    return f"{stem}.up.sql", f"{stem}.down.sql"


def _slug(name: str) -> str | Invalid:
    if _NEW_NAME.fullmatch(name) is None:
        return Invalid(
            (
                f"invalid migration name {name!r}: use lowercase letters, digits, dashes and "
                "underscores (e.g. add-user-index)",
            )
        )
    slug = "-".join(part for part in name.replace("_", "-").split("-") if part)
    if not slug:
        return Invalid((f"invalid migration name {name!r}: it needs a letter or digit",))
    if len(slug) > NAME_MAX_LENGTH:
        return Invalid((f"migration name is longer than {NAME_MAX_LENGTH} characters",))
    return slug


def template(migration_id: str, name: str, direction: Direction) -> str:
    """The comment header a new migration file starts with."""
    if direction == "down":
        return (
            f"-- Reverts {migration_id} {name}; run by `boundary migrate rollback`.\n"
            "-- Undo what the .up.sql file does, in reverse order. Without this file the\n"
            "-- migration cannot be rolled back.\n\n"
        )
    return (
        f"-- Migration {migration_id} {name}; applied by `boundary migrate migrate`.\n"
        "-- Plain SQL: one or more statements, each ending with ';'. The migration runs in one\n"
        "-- transaction on PostgreSQL and SQLite; MySQL/MariaDB commit DDL at once, so keep\n"
        "-- data changes in their own migration there. No BEGIN/COMMIT, no DELIMITER.\n"
        f"-- Where dialects differ, {migration_id}-{name}.postgresql.up.sql (or .mysql.,\n"
        "-- .sqlite.) replaces this file for that dialect.\n"
        "-- Do not edit it once applied: `migrate status` reports a changed checksum.\n\n"
    )


# --- output --------------------------------------------------------------------------------


def status_lines(rows: Sequence[StatusRow]) -> list[str]:
    """`<id>  <name>  <applied_at ISO | pending>` per row."""
    return [f"{r.id}  {r.name}  {_when(r.applied_at)}" for r in rows]


def warning_lines(rows: Sequence[StatusRow], warnings: Sequence[str] = ()) -> list[str]:
    """`WARNING: …` for changed and vanished applied files, then the catalog's warnings."""
    lines = [f"WARNING: {_row_warning(r)}" for r in rows if r.drift or r.file_missing]
    return lines + [f"WARNING: {w}" for w in warnings]


def _row_warning(row: StatusRow) -> str:
    if row.file_missing:
        return f"{row.id} is applied but its migration files are missing"
    recorded = (row.recorded_checksum or "")[:12]
    current = (row.current_checksum or "")[:12]
    return (
        f"{row.id} changed since it was applied "
        f"(checksum recorded {recorded}…, file now {current}…)"
    )


def _when(applied_at: datetime | None) -> str:
    if applied_at is None:
        return "pending"
    return applied_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_DROP_TABLE = re.compile(
    r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.\"`\[\]]+(?:\s*,\s*[\w.\"`\[\]]+)*)",
    re.IGNORECASE,
)


def dropped_tables(statement: str) -> tuple[str, ...]:
    """The tables a `DROP TABLE` statement names, as written (quotes kept); () for any other
    statement. A rollback asks before it drops one that still holds rows."""
    match = _DROP_TABLE.search(statement)
    if match is None:
        return ()
    return tuple(name.strip() for name in match.group(1).split(","))
