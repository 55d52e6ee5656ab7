"""docs/operations.md cannot rot (issue #7 item 5).

- Every `boundary …` command in a ```bash block runs with `--help` (the sub-command found from
  the help itself), and every option it uses is one that `--help` lists.
- Every ```sql block runs with psql (ON_ERROR_STOP) against a fresh PostgreSQL database migrated
  with `boundary migrate migrate` and holding rows made by Boundary (an admin) plus audit events.
  pg_stat_statements: the test creates the extension (the runbook's own snippet); when the
  server was not started with it in shared_preload_libraries, the query on its view is
  planned with EXPLAIN — which checks the view's column names — rather than executed.
- Every configuration key and BOUNDARY_<SECTION>__<KEY> variable it names exists
  (`boundary config show`), and every repository file it names exists.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.ops.tools import psql as scalar
from tests.ops.tools import tool
from tests.support.databases import create_database, drop_database
from tests.support.process import run_cli

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "operations.md"
SHELL_LANGS = {"bash", "sh", "shell", "console"}
OPERATORS = {"|", "||", "&&", ";", ">", ">>", "2>&1", "<", "&"}
NOT_A_COMMAND_BEFORE = {"-u", "--user", "-g", "--group", "chown", "useradd", "groupadd", "usermod"}
ALL_COMMANDS = {
    "serve",
    "migrate status",
    "migrate migrate",
    "migrate rollback",
    "migrate create",
    "config check",
    "config show",
    "users create-admin",
    "health",
    "secret",
    "version",
}


def blocks(lang: set[str]) -> list[tuple[int, str]]:
    """(line number, body) of each fenced block whose info string is in `lang`."""
    found: list[tuple[int, str]] = []
    lines = RUNBOOK.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^```(\w*)\s*$", lines[i])
        if match:
            start, body = i + 1, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if match.group(1) in lang:
                found.append((start + 1, "\n".join(body)))
        i += 1
    return found


def shell_lines() -> Iterator[tuple[int, list[str]]]:
    """Logical shell lines (continuations joined, comments dropped) as shlex tokens."""
    for start, body in blocks(SHELL_LANGS):
        pending, first = "", start
        for offset, raw in enumerate(body.splitlines()):
            if not pending:
                first = start + offset
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            line, pending = pending + raw, ""
            try:
                tokens = shlex.split(line, comments=True)
            except ValueError as exc:
                raise AssertionError(f"operations.md:{first}: unparseable: {line!r}") from exc
            yield first, tokens


def _expand(tokens: list[str]) -> list[str]:
    """Quoted command text (`sh -c '…'`, `"$(boundary secret)"`) split into its own tokens."""
    out: list[str] = []
    for token in tokens:
        if re.search(r"\s", token):
            out += [";", *_expand(shlex.split(re.sub(r"\$\(|\)|`", " ; ", token))), ";"]
        else:
            out.append(token)
    return out


def boundary_invocations() -> list[tuple[int, list[str]]]:
    found = []
    for line, raw_tokens in shell_lines():
        tokens = _expand(raw_tokens)
        for i, token in enumerate(tokens):
            if token.rsplit("/", 1)[-1] != "boundary" or i + 1 >= len(tokens):
                continue
            if i > 0 and tokens[i - 1] in NOT_A_COMMAND_BEFORE:
                continue
            if not re.fullmatch(r"[a-z][a-z0-9-]*", tokens[i + 1]):
                continue
            args = []
            for word in tokens[i + 1 :]:
                if word in OPERATORS or word.startswith((">", "2>")):
                    break
                args.append(word)
            found.append((line, args))
    return found


INVOCATIONS = boundary_invocations()


def help_text(*words: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*words, "--help", env={"COLUMNS": "200"})


def test_the_runbook_uses_every_command() -> None:
    used = set()
    for _, args in INVOCATIONS:
        used.add(args[0])
        if len(args) > 1:
            used.add(f"{args[0]} {args[1]}")
    missing = ALL_COMMANDS - used
    assert not missing, f"commands of CONTRACT §2 the runbook never shows: {sorted(missing)}"


@pytest.mark.parametrize(
    "args", [a for _, a in INVOCATIONS], ids=[f"L{n}:{' '.join(a)[:60]}" for n, a in INVOCATIONS]
)
def test_boundary_command_exists_with_its_options(args: list[str]) -> None:
    top = help_text(args[0])
    assert top.returncode == 0, f"boundary {args[0]}: {top.stderr}"
    path, rest = [args[0]], args[1:]
    if re.search(r"Commands", top.stdout):
        assert rest, f"boundary {args[0]} needs a sub-command"
        path.append(rest.pop(0))
    proc = help_text(*path)
    assert proc.returncode == 0, f"boundary {' '.join(path)} --help: {proc.stdout}{proc.stderr}"
    for word in rest:
        if word.startswith("-"):
            option = word.split("=", 1)[0]
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", proc.stdout), (
                f"boundary {' '.join(path)} has no option {option}"
            )


# --- configuration keys, variables and files named in the prose -----------------------------

SECTIONS = "settings|http|ops|database|security|logging|metrics|rate_limit|error_reporting"


def config_keys() -> set[str]:
    proc = run_cli("config", "show")
    assert proc.returncode == 0, proc.stderr
    return {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}


def test_configuration_keys_and_variables_exist() -> None:
    text = RUNBOOK.read_text()
    known = config_keys()
    named = set(re.findall(rf"`((?:{SECTIONS})\.[a-z_]+)`", text))
    named |= set(re.findall(rf"(?<![\w.])((?:{SECTIONS})\.[a-z_]+)(?= *=)", text))
    assert named, "the runbook names configuration keys"
    assert not named - known, f"unknown keys: {sorted(named - known)}"
    variables = set(re.findall(r"BOUNDARY_([A-Z_]+?)__([A-Z_]+)", text))
    assert variables, "the runbook names BOUNDARY_SECTION__KEY variables"
    for section, key in variables:
        assert f"{section.lower()}.{key.lower()}" in known, f"BOUNDARY_{section}__{key}"


def test_files_it_names_exist() -> None:
    text = RUNBOOK.read_text()
    paths = set(
        re.findall(r"(?<![\w/.])((?:deploy|scripts|bench|docs|config|migrations)/[\w./-]+)", text)
    )
    paths = {p.rstrip(".") for p in paths if "YYYY" not in p and "…" not in p}
    assert paths, "the runbook names repository files"
    missing = {p for p in paths if not (ROOT / p).exists()}
    # deploy/monitoring/ is delivered separately (prometheus-rules.yml, datadog-monitors.json):
    # checked once that directory exists.
    if not (ROOT / "deploy" / "monitoring").is_dir():
        missing = {p for p in missing if not p.startswith("deploy/monitoring")}
    assert not missing, f"the runbook names files that do not exist: {sorted(missing)}"


# --- SQL ---------------------------------------------------------------------------------------

SQL_BLOCKS = blocks({"sql"})


def psql(url: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", url, "-f", "-"],
        input=sql,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def runbook_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = create_database("postgresql", tmp_path_factory.mktemp("runbook"))
    try:
        migrated = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
        assert migrated.returncode == 0, migrated.stderr
        admin = run_cli(
            "users",
            "create-admin",
            "--email",
            "admin@example.com",
            "--password-stdin",
            env={"DATABASE_URL": url},
            stdin="runbook-admin-password-1\n",
        )
        assert admin.returncode == 0, admin.stdout + admin.stderr
        seeded = psql(
            url,
            """
            INSERT INTO audit_events (event_type, actor, actor_role, email, resource, action,
                                      result, ip, correlation_id, created_at)
            SELECT 'login_failed', NULL, NULL, 'victim@example.com', NULL, 'login', 'failure',
                   '203.0.113.7', 'req-abc123', now() - (n || ' seconds')::interval
            FROM generate_series(1, 12) AS n;
            INSERT INTO audit_events (event_type, actor, actor_role, email, resource, action,
                                      result, ip, created_at)
            VALUES ('user_updated', 'admin@example.com', 'admin', 'user@example.com',
                    '/api/v1/users/1', 'update', 'success', '198.51.100.1', now());
            INSERT INTO user_sessions (id, user_id, token_hash, created_at, expires_at)
            SELECT gen_random_uuid(), id, md5(random()::text), now() - interval '2 hours',
                   now() + interval '1 day'
            FROM users;
            """,
        )
        assert seeded.returncode == 0, seeded.stderr
        yield url
    finally:
        drop_database(url)


def _pg_stat_statements_mode(url: str) -> str:
    """'execute' when preloaded, 'explain' when only installable; fails/skips when absent."""
    available = scalar(
        url, "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_stat_statements'"
    )
    if available == "0":
        from tests.support.databases import unavailable

        unavailable(
            "pg_stat_statements (postgresql-contrib)",
            RuntimeError("the extension is not installed on the PostgreSQL server"),
        )
    preloaded = "pg_stat_statements" in scalar(url, "SHOW shared_preload_libraries")
    return "execute" if preloaded else "explain"


def test_the_guides_queries_are_there_verbatim() -> None:
    text = " ".join(RUNBOOK.read_text().split())
    for query in (
        "SELECT email, COUNT(*) AS attempts, MAX(created_at) AS last_attempt FROM audit_events "
        "WHERE event_type = 'login_failed' AND created_at > NOW() - INTERVAL '1 hour' "
        "GROUP BY email HAVING COUNT(*) > 10;",
        "SELECT actor, resource, action, result, created_at FROM audit_events "
        "WHERE actor_role = 'admin' AND created_at > NOW() - INTERVAL '24 hours' "
        "ORDER BY created_at DESC;",
        "DELETE FROM user_sessions WHERE created_at < NOW() - INTERVAL '1 hour'",
    ):
        assert query in text, query


def test_there_are_sql_snippets() -> None:
    assert len(SQL_BLOCKS) >= 10


@pytest.mark.parametrize(
    "snippet", [b for _, b in SQL_BLOCKS], ids=[f"L{n}" for n, _ in SQL_BLOCKS]
)
def test_sql_snippet_runs_on_postgresql(runbook_db: str, snippet: str) -> None:
    sql = snippet
    if "pg_stat_statements" in snippet:
        mode = _pg_stat_statements_mode(runbook_db)
        created = psql(runbook_db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
        assert created.returncode == 0, created.stderr
        if mode == "explain" and "FROM pg_stat_statements" in snippet:
            statements = [s for s in snippet.split(";") if s.strip()]
            assert len(statements) == 1, "a pg_stat_statements query snippet is one statement"
            sql = "EXPLAIN " + statements[0].strip() + ";"
    proc = psql(runbook_db, sql)
    assert proc.returncode == 0, f"{proc.stderr}\n--- snippet:\n{snippet}"


def test_the_audit_queries_find_the_seeded_rows(runbook_db: str) -> None:
    """The §4 queries return the expected rows, as the runbook promises."""
    failed = scalar(
        runbook_db,
        "SELECT email FROM audit_events WHERE event_type = 'login_failed' "
        "AND created_at > NOW() - INTERVAL '1 hour' GROUP BY email HAVING COUNT(*) > 10",
    )
    assert failed == "victim@example.com"
    admin = scalar(
        runbook_db,
        "SELECT actor FROM audit_events WHERE actor_role = 'admin' "
        "AND created_at > NOW() - INTERVAL '24 hours' ORDER BY created_at DESC",
    )
    assert "admin@example.com" in admin
    assert make_url(runbook_db).database


def test_runbook_python_invocations_exist() -> None:
    """`.venv/bin/python bench/….py` lines name real scripts whose --help works."""
    invocations = [
        tokens
        for _, tokens in shell_lines()
        if len(tokens) >= 2 and tokens[0].endswith("/python") and tokens[1].endswith(".py")
    ]
    # Finding none would check nothing: the runbook shows the bench scripts, and a change to
    # shell_lines() that stopped seeing them must fail here rather than pass.
    assert invocations, "the runbook shows no `.venv/bin/python <script>.py` line"
    for tokens in invocations:
        script = ROOT / tokens[1]
        assert script.exists(), tokens[1]
        proc = subprocess.run(
            [sys.executable, str(script), "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        for word in tokens[2:]:
            if word.startswith("--"):
                assert word.split("=", 1)[0] in proc.stdout, f"{tokens[1]} {word}"
