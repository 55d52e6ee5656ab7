"""Migration planning (pure core): names, catalogs, status, pending, rollback plans, create."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.migrations import core
from boundary.migrations.core import Applied, Catalog, FileName, Invalid, Migration, Revert
from tests.fakes.builders import NOW

UP1 = b"CREATE TABLE a (id INT);\n"
UP2 = b"CREATE TABLE b (id INT);\n"


def build(files: dict[str, bytes], dialect: core.Dialect = "sqlite") -> Catalog:
    result = core.catalog(files, dialect)
    assert isinstance(result, Catalog), result
    return result


def problems(result: object) -> str:
    assert isinstance(result, Invalid), result
    return result.message


def two_migrations() -> tuple[Migration, ...]:
    return build(
        {
            "20240101-000000-first.up.sql": UP1,
            "20240101-000000-first.down.sql": b"DROP TABLE a;",
            "20240102-000000-second.up.sql": UP2,
            "20240102-000000-second.down.sql": b"DROP TABLE b;",
        }
    ).migrations


def applied(migration_id: str, *, minutes: int = 0, checksum: str | None = None) -> Applied:
    return Applied(
        id=migration_id,
        name={"20240101-000000": "first", "20240102-000000": "second"}.get(migration_id, "gone"),
        checksum=checksum or core.checksum(UP1 if migration_id.startswith("20240101") else UP2),
        applied_at=NOW + timedelta(minutes=minutes),
    )


# --- file names ----------------------------------------------------------------------------


def test_parse_portable_and_variant_names() -> None:
    """The id is the timestamp, the name the rest; a dialect part marks a variant."""
    assert core.parse_filename("20240102-030405-add-users.up.sql") == FileName(
        filename="20240102-030405-add-users.up.sql",
        id="20240102-030405",
        name="add-users",
        dialect=None,
        direction="up",
    )
    variant = core.parse_filename("20240102-030405-add_users.postgresql.down.sql")
    assert isinstance(variant, FileName)
    assert (variant.name, variant.dialect, variant.direction) == ("add_users", "postgresql", "down")


@pytest.mark.parametrize(
    "filename",
    [
        "20240102-add-users.up.sql",
        "2024010-030405-add-users.up.sql",
        "20240102-030405-add-users.sql",
        "20240102-030405-add-users.upgrade.sql",
        "20240102-030405-.up.sql",
        "20240102-030405-add users.up.sql",
        "20240102-030405-add-users.postgres.up.sql",
        "20240102-030405-add-users.oracle.up.sql",
        "seed.sql",
    ],
)
def test_malformed_names_are_rejected_with_the_expected_form(filename: str) -> None:
    message = problems(core.parse_filename(filename))
    assert message.startswith(f"{filename}: not a migration file name")
    assert "YYYYMMDD-HHMMSS-name.up.sql" in message


def test_an_impossible_date_is_rejected() -> None:
    message = problems(core.parse_filename("20241340-250000-x.up.sql"))
    assert "20241340-250000 is not a valid date-time" in message


@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)),
    name=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
    dialect=st.sampled_from([None, *core.DIALECTS]),
    direction=st.sampled_from(["up", "down"]),
)
def test_names_round_trip(
    moment: datetime, name: str, dialect: core.Dialect | None, direction: str
) -> None:
    """Any well-formed name parses back to the parts it was made of."""
    migration_id = moment.strftime(core.ID_FORMAT)
    filename = f"{migration_id}-{name}{'.' + dialect if dialect else ''}.{direction}.sql"
    parsed = core.parse_filename(filename)
    assert isinstance(parsed, FileName)
    assert (parsed.id, parsed.name, parsed.dialect, parsed.direction) == (
        migration_id,
        name,
        dialect,
        direction,
    )


@given(st.lists(st.datetimes(min_value=datetime(1970, 1, 1)), min_size=1, max_size=8, unique=True))
def test_catalog_order_is_time_order(moments: list[datetime]) -> None:
    """Ids sort as the times they name, whatever order the files are listed in."""
    ids = {m.replace(microsecond=0).strftime(core.ID_FORMAT) for m in moments}
    files = {f"{i}-m.up.sql": b"SELECT 1;" for i in reversed(sorted(ids))}
    catalog = build(files)
    assert [m.id for m in catalog.migrations] == sorted(ids)
    times = [datetime.strptime(m.id, core.ID_FORMAT) for m in catalog.migrations]
    assert times == sorted(times)


# --- catalog -------------------------------------------------------------------------------


def test_catalog_pairs_up_and_down_and_checksums_the_up_file() -> None:
    first, second = two_migrations()
    assert (first.id, first.name, first.up.sql) == ("20240101-000000", "first", UP1.decode())
    assert first.down is not None
    assert first.down.filename == "20240101-000000-first.down.sql"
    assert first.checksum == hashlib.sha256(UP1).hexdigest()
    assert second.id == "20240102-000000"


def test_a_dialect_variant_replaces_the_portable_file_for_that_dialect_only() -> None:
    files = {
        "20240101-000000-x.up.sql": b"portable;",
        "20240101-000000-x.postgresql.up.sql": b"postgres;",
        "20240101-000000-x.down.sql": b"down;",
        "20240101-000000-x.mysql.down.sql": b"mysql down;",
    }
    pg = build(files, "postgresql").migrations[0]
    assert (pg.up.filename, pg.up.sql, pg.checksum) == (
        "20240101-000000-x.postgresql.up.sql",
        "postgres;",
        core.checksum(b"postgres;"),
    )
    assert pg.down is not None
    assert pg.down.sql == "down;"
    my = build(files, "mysql").migrations[0]
    assert my.up.sql == "portable;"
    assert my.down is not None
    assert my.down.sql == "mysql down;"


def test_a_variant_without_a_portable_file_is_missing_for_other_dialects() -> None:
    files = {"20240101-000000-x.postgresql.up.sql": b";", "20240101-000000-x.down.sql": b";"}
    assert build(files, "postgresql").migrations[0].id == "20240101-000000"
    message = problems(core.catalog(files, "sqlite"))
    assert "20240101-000000-x: no up file for sqlite" in message
    assert "20240101-000000-x.up.sql" in message


def test_duplicate_ids_are_rejected_naming_both_files() -> None:
    files = {"20240101-000000-a.up.sql": b";", "20240101-000000-b.up.sql": b";"}
    assert problems(core.catalog(files, "sqlite")) == (
        "duplicate migration id 20240101-000000: "
        "20240101-000000-a.up.sql and 20240101-000000-b.up.sql"
    )


def test_every_problem_is_reported_at_once() -> None:
    files = {
        "bad.sql": b";",
        "20240101-000000-a.down.sql": b";",
        "20240102-000000-b.up.sql": b"\xff",
    }
    message = problems(core.catalog(files, "mysql"))
    assert "bad.sql: not a migration file name" in message
    assert "20240101-000000-a: no up file for mysql" in message
    assert "20240102-000000-b.up.sql: not UTF-8 (byte 0)" in message


def test_an_up_without_down_is_a_warning_not_an_error() -> None:
    catalog = build({"20240101-000000-a.up.sql": b";"})
    assert [m.down for m in catalog.migrations] == [None]
    assert catalog.warnings == ("20240101-000000 a has no down file: it cannot be rolled back",)


def test_an_empty_directory_is_an_empty_catalog() -> None:
    assert build({}) == Catalog(migrations=(), warnings=())


# --- status and pending ---------------------------------------------------------------------


def test_status_lists_applied_and_pending_in_id_order() -> None:
    rows = core.status(two_migrations(), [applied("20240101-000000")])
    assert [(r.id, r.name, r.applied_at, r.drift) for r in rows] == [
        ("20240101-000000", "first", NOW, False),
        ("20240102-000000", "second", None, False),
    ]
    assert core.status_lines(rows) == [
        "20240101-000000  first  2026-01-03T12:00:00Z",
        "20240102-000000  second  pending",
    ]
    assert core.warning_lines(rows) == []


def test_status_flags_drift_when_the_applied_file_changed() -> None:
    row = core.status(two_migrations(), [applied("20240101-000000", checksum="0" * 64)])[0]
    assert row.drift
    assert row.recorded_checksum == "0" * 64
    assert row.current_checksum == core.checksum(UP1)
    assert core.warning_lines([row]) == [
        f"WARNING: 20240101-000000 changed since it was applied "
        f"(checksum recorded 000000000000…, file now {core.checksum(UP1)[:12]}…)"
    ]


def test_status_keeps_applied_rows_whose_files_are_gone() -> None:
    rows = core.status(two_migrations(), [applied("20231231-000000")])
    assert rows[0].id == "20231231-000000"
    assert rows[0].file_missing
    assert not rows[0].drift
    assert core.warning_lines(rows, ["extra"]) == [
        "WARNING: 20231231-000000 is applied but its migration files are missing",
        "WARNING: extra",
    ]


def test_status_shows_applied_times_in_utc() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    row = replace(applied("20240101-000000"), applied_at=local)
    assert core.status_lines(core.status(two_migrations(), [row]))[0] == (
        "20240101-000000  first  2026-01-03T12:00:00Z"
    )


def test_pending_is_everything_not_applied_in_id_order() -> None:
    migrations = two_migrations()
    assert [m.id for m in core.pending(migrations, set())] == ["20240101-000000", "20240102-000000"]
    assert [m.id for m in core.pending(migrations, {"20240101-000000"})] == ["20240102-000000"]
    assert core.pending(migrations, {"20240101-000000", "20240102-000000"}) == ()


def test_pending_includes_an_older_id_merged_after_newer_ones_ran() -> None:
    migrations = two_migrations()
    assert [m.id for m in core.pending(migrations, {"20240102-000000"})] == ["20240101-000000"]


@given(st.sets(st.sampled_from(["20240101-000000", "20240102-000000"])))
def test_pending_and_applied_partition_the_catalog(applied_ids: set[str]) -> None:
    migrations = two_migrations()
    todo = {m.id for m in core.pending(migrations, applied_ids)}
    assert todo | applied_ids == {m.id for m in migrations}
    assert not todo & applied_ids


# --- rollback -------------------------------------------------------------------------------


def test_rollback_plan_is_newest_first_and_capped_by_steps() -> None:
    migrations = two_migrations()
    rows = [applied("20240101-000000"), applied("20240102-000000", minutes=1)]
    plan = core.rollback_plan(rows, migrations, 1)
    assert isinstance(plan, tuple)
    assert [(r.id, r.name) for r in plan] == [("20240102-000000", "second")]
    everything = core.rollback_plan(rows, migrations, 10)
    assert isinstance(everything, tuple)
    assert [r.id for r in everything] == ["20240102-000000", "20240101-000000"]
    assert isinstance(everything[0], Revert)
    assert everything[0].down.sql == "DROP TABLE b;"


def test_rollback_follows_application_order_then_id() -> None:
    """An older id applied later (a late merge) is reverted first."""
    migrations = two_migrations()
    rows = [applied("20240102-000000"), applied("20240101-000000", minutes=5)]
    plan = core.rollback_plan(rows, migrations, 1)
    assert isinstance(plan, tuple)
    assert plan[0].id == "20240101-000000"
    same_time = [applied("20240101-000000"), applied("20240102-000000")]
    plan = core.rollback_plan(same_time, migrations, 1)
    assert isinstance(plan, tuple)
    assert plan[0].id == "20240102-000000"


def test_rollback_with_nothing_applied_is_an_empty_plan() -> None:
    assert core.rollback_plan([], two_migrations(), 3) == ()


def test_rollback_refuses_when_a_selected_migration_has_no_down_file() -> None:
    catalog = build(
        {
            "20240101-000000-first.up.sql": UP1,
            "20240101-000000-first.down.sql": b";",
            "20240102-000000-second.up.sql": UP2,
        }
    )
    rows = [applied("20240101-000000"), applied("20240102-000000", minutes=1)]
    message = problems(core.rollback_plan(rows, catalog.migrations, 2))
    assert message == (
        "cannot roll back 20240102-000000 second: no down file "
        "(20240102-000000-second.down.sql) for 20240102-000000-second.up.sql; "
        "nothing was rolled back"
    )


def test_rollback_refuses_when_the_files_are_gone() -> None:
    message = problems(core.rollback_plan([applied("20231231-000000")], two_migrations(), 1))
    assert "cannot roll back 20231231-000000 gone: its migration files are missing" in message


@pytest.mark.parametrize("steps", [0, -1])
def test_rollback_steps_must_be_positive(steps: int) -> None:
    assert "positive integer" in problems(core.rollback_plan([], (), steps))


# --- statements -----------------------------------------------------------------------------


def test_delimiter_lines_are_refused_but_a_column_named_delimiter_is_fine() -> None:
    sql = "DELIMITER //\nCREATE TRIGGER t BEGIN SELECT 1; END //\nDELIMITER ;\n"
    message = core.delimiter_problem("x.up.sql", sql)
    assert message is not None
    assert message.startswith("x.up.sql: DELIMITER is a mysql client")
    assert core.delimiter_problem("x.up.sql", "CREATE TABLE t (\n  delimiter CHAR(1)\n);") is None


@pytest.mark.parametrize(
    "statement", ["BEGIN;", "begin transaction", "COMMIT;", "ROLLBACK WORK;", "START TRANSACTION;"]
)
def test_transaction_control_statements_are_refused(statement: str) -> None:
    message = core.statement_problem("x.up.sql", 2, statement)
    assert message is not None
    assert message.startswith("x.up.sql: statement 2 (")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); END;",
        "BEGIN NOT ATOMIC SELECT 1; END;",
        "COMMENT ON TABLE a IS 'x';",
        "SELECT 1;",
    ],
)
def test_other_statements_are_fine(statement: str) -> None:
    assert core.statement_problem("x.up.sql", 1, statement) is None


def test_one_line_collapses_and_cuts() -> None:
    assert core.one_line("INSERT INTO\n   t  VALUES (1)") == "INSERT INTO t VALUES (1)"
    assert core.one_line("x" * 30, 10) == "xxxxxxxx …"


# --- create --------------------------------------------------------------------------------


def test_new_migration_names_use_the_time_and_turn_underscores_into_dashes() -> None:
    assert core.new_migration_names("add_user__index", NOW) == (
        "20260103-120000-add-user-index.up.sql",
        "20260103-120000-add-user-index.down.sql",
    )
    assert core.new_migration_names("-x-", NOW) == (
        "20260103-120000-x.up.sql",
        "20260103-120000-x.down.sql",
    )


@pytest.mark.parametrize("name", ["", "Add", "add users", "add.users", "ünï", "---", "a" * 101])
def test_new_migration_names_refuse_bad_names(name: str) -> None:
    assert "migration name" in problems(core.new_migration_names(name, NOW))


@given(st.from_regex(r"[a-z0-9_-]{0,30}[a-z0-9][a-z0-9_-]{0,30}", fullmatch=True))
def test_created_names_always_parse_back(name: str) -> None:
    """Whatever valid NAME is given, both files parse back with one id and a dashed name."""
    names = core.new_migration_names(name, NOW)
    assert isinstance(names, tuple)
    parsed_up, parsed_down = (core.parse_filename(n) for n in names)
    assert isinstance(parsed_up, FileName)
    assert isinstance(parsed_down, FileName)
    assert parsed_up.id == parsed_down.id == "20260103-120000"
    assert parsed_up.name == parsed_down.name
    assert "_" not in parsed_up.name
    assert "--" not in parsed_up.name
    assert parsed_up.name.replace("-", "") == name.replace("_", "").replace("-", "")


@pytest.mark.parametrize("direction", ["up", "down"])
def test_templates_are_sql_comments_naming_the_migration(direction: core.Direction) -> None:
    text = core.template("20260103-120000", "x", direction)
    assert "20260103-120000 x" in text
    assert all(line.startswith("--") for line in text.splitlines() if line)


@pytest.mark.parametrize(
    ("statement", "tables"),
    [
        ("DROP TABLE notes", ("notes",)),
        ("drop table if exists a, b", ("a", "b")),
        ('DROP TABLE "Quoted"', ('"Quoted"',)),
        ("DELETE FROM notes", ()),
        ("DROP INDEX notes_idx", ()),
    ],
)
def test_dropped_tables_names_what_a_drop_removes(statement: str, tables: tuple[str, ...]) -> None:
    assert core.dropped_tables(statement) == tables
