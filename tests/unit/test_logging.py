"""Tests for boundary.observability.logging: core with literal dicts, shell through a StringIO."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.redaction import REDACTED
from boundary.observability.logging import (
    Logger,
    configure_logging,
    core,
    flush_logs,
    get_logger,
    reset_logging,
)
from tests.fakes.builders import NOW_PRECISE as NOW

JSON_TS = "2026-01-03T12:00:00.123Z"
CONSOLE_TS = "2026-01-03 12:00:00"
CONSOLE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")
JSON_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def record(event: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """`core.build_record` with the usual literal arguments."""
    arguments: dict[str, Any] = {"level": "info", "timestamp": JSON_TS, "service": "svc"}
    return core.build_record(event, **(arguments | overrides))


# --- core: levels, names, timestamps --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("trace", 5),
        ("DEBUG", 10),
        ("Info", 20),
        ("warn", 30),
        ("WARNING", 30),
        ("error", 40),
        ("fatal", 50),
        ("critical", 50),
        (" info ", 20),
    ],
)
def test_level_names_parse_in_any_case(text: str, number: int) -> None:
    """Levels come from env vars in any case; `warning` and `critical` are aliases."""
    assert core.parse_level(text) == number


def test_unknown_level_names_the_value_and_the_choices() -> None:
    """A typo in LOG_LEVEL is reported with what was expected."""
    with pytest.raises(ValueError, match=r"'verbose'.*trace, debug, info, warn, error, fatal"):
        core.parse_level("verbose")


def test_formats_parse_in_any_case_and_unknown_ones_fail() -> None:
    """Only console and json exist."""
    assert core.parse_format("JSON") == "json"
    assert core.parse_format("console") == "console"
    with pytest.raises(ValueError, match="'xml'"):
        core.parse_format("xml")


@pytest.mark.parametrize(
    ("levelno", "name"),
    [
        (1, "trace"),
        (5, "trace"),
        (10, "debug"),
        (15, "debug"),
        (20, "info"),
        (30, "warn"),
        (40, "error"),
        (50, "fatal"),
        (60, "fatal"),
    ],
)
def test_stdlib_level_numbers_map_to_our_names(levelno: int, name: str) -> None:
    """WARNING becomes warn, CRITICAL fatal; custom numbers round down."""
    assert core.level_for_number(levelno) == name


@pytest.mark.parametrize(
    ("method", "name"),
    [("warning", "warn"), ("exception", "error"), ("critical", "fatal"), ("trace", "trace")],
)
def test_method_names_map_to_canonical_levels(method: str, name: str) -> None:
    """structlog passes the method name; the record carries the canonical level."""
    assert core.level_name(method) == name


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("user_id", "user-id"),
        ("duration_ms", "duration-ms"),
        ("error.kind", "error.kind"),
        ("client_ip", "client-ip"),
        ("status", "status"),
        ("x.y_z", "x.y_z"),
    ],
)
def test_field_names_use_dashes_but_dotted_keys_are_kept(key: str, name: str) -> None:
    """Python kwargs have underscores; the output convention is dashes."""
    assert core.field_name(key) == name


def test_timestamps_are_utc_with_z_in_json_and_seconds_in_console() -> None:
    """Any timezone is converted to UTC; naive datetimes count as UTC."""
    paris = NOW.astimezone(timezone(timedelta(hours=1)))

    assert core.json_timestamp(paris) == JSON_TS
    assert core.json_timestamp(NOW.replace(tzinfo=None)) == JSON_TS
    assert core.json_timestamp(NOW.replace(microsecond=0)) == "2026-01-03T12:00:00.000Z"
    assert core.console_timestamp(paris) == CONSOLE_TS


# --- core: records ----------------------------------------------------------------------------


def test_record_has_the_header_in_order_then_the_fields_renamed() -> None:
    """timestamp, level, message, service, logger, correlation-id, then fields as given."""
    built = record(
        {
            "logger": "boundary.user.service",
            "event": "User created",
            "user_id": 123,
            "email": "user@example.com",
            "correlation_id": "c-1",
        }
    )

    assert list(built.items()) == [
        ("timestamp", JSON_TS),
        ("level", "info"),
        ("message", "User created"),
        ("service", "svc"),
        ("logger", "boundary.user.service"),
        ("correlation-id", "c-1"),
        ("user-id", 123),
        ("email", "user@example.com"),
    ]


def test_record_without_correlation_id_or_logger() -> None:
    """No correlation-id key unless bound; an unnamed logger is `root`."""
    built = record({"event": "hello"})

    assert built == {
        "timestamp": JSON_TS,
        "level": "info",
        "message": "hello",
        "service": "svc",
        "logger": "root",
    }


def test_record_redacts_fields_nested_values_and_the_message() -> None:
    """Sensitive keys at any depth, Bearer strings and URL passwords are hidden."""
    built = record(
        {
            "event": "connecting to postgresql://app:pw@db/app",
            "password": "hunter2",
            "access_token": "eyJ...",
            "headers": {"Authorization": "Bearer abc", "Accept": "*/*"},
            "body": {"user": {"email": "e@x", "password": "p"}},
            "raw": "Bearer abc",
        }
    )

    assert built["message"] == f"connecting to postgresql://app:{REDACTED}@db/app"
    assert built["password"] == REDACTED
    assert built["access-token"] == REDACTED
    assert built["headers"] == {"Authorization": REDACTED, "Accept": "*/*"}
    assert built["body"] == {"user": {"email": "e@x", "password": REDACTED}}
    assert built["raw"] == f"Bearer {REDACTED}"


def test_record_appends_error_fields_after_the_event_fields() -> None:
    """Exceptions become error.kind, error.message and error.stack, redacted like the rest."""
    error = core.ErrorInfo(
        kind="OperationalError",
        message="cannot reach postgresql://u:pw@h/db",
        stack="Traceback...\nOperationalError: cannot reach postgresql://u:pw@h/db\n",
    )

    built = record({"event": "db down", "operation": "ping"}, level="error", error=error)

    assert list(built)[-4:] == ["operation", "error.kind", "error.message", "error.stack"]
    assert built["error.kind"] == "OperationalError"
    assert built["error.message"] == f"cannot reach postgresql://u:{REDACTED}@h/db"
    assert "pw" not in built["error.stack"]


def test_explicit_error_fields_win_over_the_exception() -> None:
    """A caller's own `error.kind` (e.g. a qualified name) is kept; the stack is still added."""
    error = core.ErrorInfo(kind="Timeout", message="slow", stack="Traceback...\n")

    built = record({"event": "x", "error.kind": "httpx.Timeout"}, error=error)

    assert (built["error.kind"], built["error.message"]) == ("httpx.Timeout", "slow")
    assert built["error.stack"] == "Traceback...\n"


def test_fields_clashing_with_the_header_are_kept_under_a_prefix() -> None:
    """A caller's `service=` or `level=` field neither replaces the header nor disappears."""
    built = record({"event": "dependency down", "service": "redis", "level": 3})

    assert built["service"] == "svc"
    assert built["field.service"] == "redis"
    assert built["field.level"] == 3


SECRET = "S3CRET-\u2603"


@given(
    st.recursive(
        st.dictionaries(st.sampled_from(["password", "token", "Authorization"]), st.just(SECRET)),
        lambda children: (
            st.dictionaries(st.sampled_from(["data", "items", "meta"]), children)
            | st.lists(children, max_size=3)
        ),
        max_leaves=20,
    ),
    st.sampled_from(["password", "api_key", "set_cookie", "payload"]),
)
def test_no_record_ever_contains_a_value_given_under_a_sensitive_key(nested: Any, key: str) -> None:
    """Redaction covers the top-level fields and whatever is nested under them."""
    built = record({"event": "x", key: nested, "secret": SECRET})

    assert SECRET not in repr(built)


# --- core: console rendering ----------------------------------------------------------------


def console_record(**fields: Any) -> dict[str, Any]:
    return record(
        {"event": "User created", "logger": "boundary.user.service", **fields},
        timestamp=CONSOLE_TS,
    )


def test_console_line_matches_the_contract_example() -> None:
    """`<ts> INFO [logger] message key=value …` with fields in the order given."""
    line = core.render_console(console_record(user_id=123, email="user@example.com"))

    assert line == (
        "2026-01-03 12:00:00 INFO [boundary.user.service] User created "
        "user-id=123 email=user@example.com"
    )


def test_console_shows_correlation_id_first_among_fields() -> None:
    """The correlation id follows the message, as in the json key order."""
    line = core.render_console(console_record(user_id=1, correlation_id="abc"))

    assert line.endswith("User created correlation-id=abc user-id=1")


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("plain", "plain"),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("it's", '"it\'s"'),
        ("a=b", '"a=b"'),
        ("", '""'),
        ("line\nbreak", '"line\\nbreak"'),
        ("caf\u00e9", "caf\u00e9"),
        (4.2, "4.2"),
        (200, "200"),
        (None, "null"),
        (True, "true"),
        (datetime(2026, 1, 3, tzinfo=UTC), "2026-01-03T00:00:00+00:00"),
        ({"a": [1, 2]}, '"{\\"a\\":[1,2]}"'),
    ],
)
def test_console_values_are_quoted_only_when_ambiguous(value: Any, rendered: str) -> None:
    """Spaces, quotes, `=` and control characters force a JSON string literal."""
    assert core.console_value(value) == rendered


def test_console_keeps_one_line_per_event_except_for_a_traceback() -> None:
    """Newlines in the message are escaped; the stack goes on the following lines."""
    fields = {"error.kind": "ValueError", "error.message": "bad", "error.stack": "Tb\n  x\n"}

    line = core.render_console(record({"event": "a\nb", "logger": "l", **fields}, level="error"))

    assert line == (
        "2026-01-03T12:00:00.123Z ERROR [l] a\\nb error.kind=ValueError error.message=bad\nTb\n  x"
    )


def test_json_safe_turns_anything_into_json_types() -> None:
    """The serializer fallback: odd keys, huge ints, sets and objects become JSON values."""

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError

    safe = core.json_safe({(1, 2): {3}, "big": 2**70, "obj": Broken(), "ok": [1.5, None]})

    assert safe == {
        "(1, 2)": [3],
        "big": str(2**70),
        "obj": "<unprintable Broken>",
        "ok": [1.5, None],
    }
    json.dumps(safe)


# --- shell --------------------------------------------------------------------------------


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """No configuration before or after the test."""
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def out(clean_logging: None) -> io.StringIO:
    """Everything logged in json at trace level, as text."""
    stream = io.StringIO()
    configure_logging(level="trace", fmt="json", stream=stream)
    return stream


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line parsed; fails if any line is not one JSON object."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def console_lines(stream: io.StringIO) -> list[str]:
    """Every line with its timestamp checked and removed."""
    lines = stream.getvalue().splitlines()
    assert all(CONSOLE_PREFIX.match(line) for line in lines), lines
    return [CONSOLE_PREFIX.sub("", line) for line in lines]


def test_json_line_has_the_contract_keys_in_order(out: io.StringIO) -> None:
    """One object per line: timestamp, level, message, service, logger, then fields."""
    get_logger("boundary.user.service").info("User created", user_id=123, duration_ms=4.2)

    [line] = json_lines(out)
    assert list(line) == [
        "timestamp",
        "level",
        "message",
        "service",
        "logger",
        "user-id",
        "duration-ms",
    ]
    assert JSON_TIMESTAMP.match(line.pop("timestamp"))
    assert line == {
        "level": "info",
        "message": "User created",
        "service": "boundary-api",
        "logger": "boundary.user.service",
        "user-id": 123,
        "duration-ms": 4.2,
    }


def test_json_timestamp_is_the_current_utc_time(out: io.StringIO) -> None:
    """The shell's clock is UTC."""
    get_logger("t").info("now")

    [line] = json_lines(out)
    logged = datetime.strptime(line["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - logged) < timedelta(seconds=5)


def test_console_line_is_exact_after_the_timestamp(clean_logging: None) -> None:
    """The console format of the contract, with quoting and the correlation id."""
    stream = io.StringIO()
    configure_logging(level="info", fmt="console", stream=stream)
    log = get_logger("boundary.user.service")

    log.info("User created", user_id=123, email="user@example.com")
    structlog.contextvars.bind_contextvars(correlation_id="req-1")
    try:
        log.warn("Slow query", statement="SELECT 1", duration_ms=812)
    finally:
        structlog.contextvars.clear_contextvars()

    assert console_lines(stream) == [
        "INFO [boundary.user.service] User created user-id=123 email=user@example.com",
        'WARN [boundary.user.service] Slow query correlation-id=req-1 statement="SELECT 1" '
        "duration-ms=812",
    ]


def test_every_level_including_trace_and_fatal(out: io.StringIO) -> None:
    """All six levels exist; warning is warn and exception is error."""
    log = get_logger("levels")
    log.trace("t")
    log.debug("d")
    log.info("i")
    log.warn("w")
    log.warning("w2")
    log.error("e")
    log.fatal("f")

    levels = [line["level"] for line in json_lines(out)]
    assert levels == ["trace", "debug", "info", "warn", "warn", "error", "fatal"]


def test_console_level_names_are_upper_case(clean_logging: None) -> None:
    """TRACE … FATAL in console lines."""
    stream = io.StringIO()
    configure_logging(level="trace", fmt="console", stream=stream)
    log = get_logger("l")
    log.trace("t")
    log.fatal("f")

    assert console_lines(stream) == ["TRACE [l] t", "FATAL [l] f"]


def test_level_filters_structlog_and_stdlib_alike(clean_logging: None) -> None:
    """`warn` silences info and below from both worlds, even from loggers set to DEBUG."""
    stream = io.StringIO()
    configure_logging(level="WARN", fmt="json", stream=stream)
    chatty = logging.getLogger("uvicorn.error")
    chatty.setLevel(logging.DEBUG)
    log = get_logger("boundary.app")

    log.info("Starting")
    log.debug("details")
    chatty.info("Started server process")
    logging.getLogger("asyncio").debug("selector")
    log.warn("careful")
    chatty.warning("uvicorn careful")

    assert [(line["logger"], line["message"]) for line in json_lines(stream)] == [
        ("boundary.app", "careful"),
        ("uvicorn.error", "uvicorn careful"),
    ]


def test_warning_is_accepted_as_level_name(clean_logging: None) -> None:
    """LOG_LEVEL=warning means warn."""
    stream = io.StringIO()
    configure_logging(level="warning", fmt="json", stream=stream)

    get_logger("l").info("no")
    get_logger("l").error("yes")

    assert [line["message"] for line in json_lines(stream)] == ["yes"]


def test_stdlib_loggers_come_out_through_the_same_renderer(out: io.StringIO) -> None:
    """uvicorn, asyncio, sqlalchemy: logger name kept, WARNING→warn, CRITICAL→fatal."""
    logging.getLogger("uvicorn").info("Uvicorn running on %s", "http://0.0.0.0:3000")
    logging.getLogger("uvicorn.access").info('%s - "%s %s"', "127.0.0.1", "GET", "/")
    logging.getLogger("asyncio").warning("Executing took 0.2 seconds")
    logging.getLogger("sqlalchemy.engine").critical("gone")
    logging.getLogger().error("from root", extra={"job_id": 7})

    lines = json_lines(out)
    assert [(line["logger"], line["level"], line["message"]) for line in lines] == [
        ("uvicorn", "info", "Uvicorn running on http://0.0.0.0:3000"),
        ("uvicorn.access", "info", '127.0.0.1 - "GET /"'),
        ("asyncio", "warn", "Executing took 0.2 seconds"),
        ("sqlalchemy.engine", "fatal", "gone"),
        ("root", "error", "from root"),
    ]
    assert all(line["service"] == "boundary-api" for line in lines)
    assert lines[-1]["job-id"] == 7


def test_uvicorn_handlers_are_replaced_by_ours(clean_logging: None) -> None:
    """Handlers uvicorn installed before configuration no longer print their own format."""
    elsewhere = io.StringIO()
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(logging.StreamHandler(elsewhere))
    uvicorn_error.propagate = False
    stream = io.StringIO()

    configure_logging(level="info", fmt="json", stream=stream)
    uvicorn_error.info("Application startup complete.")

    assert elsewhere.getvalue() == ""
    assert json_lines(stream)[0]["message"] == "Application startup complete."


def test_exceptions_become_error_fields(out: io.StringIO) -> None:
    """`.exception` inside `except`, or `exc_info=` with an exception, adds error.*."""
    log = get_logger("boundary.http")
    try:
        raise ValueError("bad input")
    except ValueError as exc:
        log.exception("Unhandled error", route="/x")
        log.warn("Handled", exc_info=exc)
        logging.getLogger("uvicorn.error").exception("stdlib too")

    lines = json_lines(out)
    for line in lines:
        assert line["error.kind"] == "ValueError"
        assert line["error.message"] == "bad input"
        assert line["error.stack"].startswith("Traceback (most recent call last):")
        assert line["error.stack"].endswith("ValueError: bad input\n")
    assert [line["level"] for line in lines] == ["error", "warn", "error"]
    assert list(lines[0])[-4:] == ["route", "error.kind", "error.message", "error.stack"]


def test_exc_info_without_an_exception_adds_nothing(out: io.StringIO) -> None:
    """`.exception` outside `except` still logs, without error fields."""
    get_logger("l").exception("nothing raised")

    [line] = json_lines(out)
    assert "error.kind" not in line
    assert line["level"] == "error"


def test_explicit_error_fields_are_kept_as_given(out: io.StringIO) -> None:
    """Dotted keys passed with ** are not renamed."""
    get_logger("l").error("failed", **{"error.kind": "Timeout", "error.message": "slow"})

    [line] = json_lines(out)
    assert (line["error.kind"], line["error.message"]) == ("Timeout", "slow")


def test_secrets_are_redacted_in_every_kind_of_event(out: io.StringIO) -> None:
    """Fields, nested dicts, bound values, Bearer strings and stdlib messages."""
    log = get_logger("boundary.auth").bind(session_token="st-1")
    log.info(
        "Login",
        password="hunter2",
        token="t-1",
        headers={"Authorization": "Bearer abc", "X-Request-Id": "r"},
        body={"credentials": {"password": "p"}, "email": "e@x"},
        note="sent Bearer abc",
    )
    logging.getLogger("sqlalchemy").error("cannot connect to postgresql://app:pw@db/app")

    text = out.getvalue()
    for secret in ("hunter2", "t-1", "st-1", "abc", ":pw@"):
        assert secret not in text
    first, second = json_lines(out)
    assert first["headers"] == {"Authorization": REDACTED, "X-Request-Id": "r"}
    assert first["body"] == {"credentials": REDACTED, "email": "e@x"}
    assert first["note"] == f"sent Bearer {REDACTED}"
    assert second["message"] == f"cannot connect to postgresql://app:{REDACTED}@db/app"


def test_correlation_id_is_present_when_bound_and_absent_after_clear(out: io.StringIO) -> None:
    """Bound per request with contextvars; other bound contextvars become fields."""
    log = get_logger("boundary.http.access")
    structlog.contextvars.bind_contextvars(correlation_id="0f8f", user_id="u-1")
    try:
        log.info("request", status=200)
        logging.getLogger("sqlalchemy.engine").warning("slow")
    finally:
        structlog.contextvars.clear_contextvars()
    log.info("after")

    during, stdlib, after = json_lines(out)
    assert list(during) == [
        "timestamp",
        "level",
        "message",
        "service",
        "logger",
        "correlation-id",
        "status",
        "user-id",
    ]
    assert (during["correlation-id"], during["user-id"]) == ("0f8f", "u-1")
    assert stdlib["correlation-id"] == "0f8f"
    assert "correlation-id" not in after
    assert "user-id" not in after


def test_bind_adds_fields_without_changing_the_original(out: io.StringIO) -> None:
    """bind returns a new Logger; the parent keeps its own context."""
    parent: Logger = get_logger("l")
    child = parent.bind(operation="create", user_id=5)

    child.info("child")
    parent.info("parent")

    child_line, parent_line = json_lines(out)
    assert (child_line["operation"], child_line["user-id"]) == ("create", 5)
    assert "operation" not in parent_line


def test_values_json_cannot_encode_are_rendered_with_str(out: io.StringIO) -> None:
    """Unknown objects use str(); odd keys and huge ints do not break the line."""

    class Thing:
        def __str__(self) -> str:
            return "a thing"

    log = get_logger("l")
    log.info("objects", thing=Thing(), when=NOW)
    log.info("odd", big=2**70, mapping={(1, 2): "tuple key"})

    first, second = json_lines(out)
    assert first["thing"] == "a thing"
    assert first["when"].startswith("2026-01-03T12:00:00")
    assert second["big"] == str(2**70)
    assert second["mapping"] == {"(1, 2)": "tuple key"}


def test_service_name_is_configurable(clean_logging: None) -> None:
    """DATADOG_SERVICE and friends end up in `service`."""
    stream = io.StringIO()
    configure_logging(fmt="json", service="boundary-worker", stream=stream)

    get_logger("l").info("hi")

    assert json_lines(stream)[0]["service"] == "boundary-worker"


def test_loggers_created_earlier_follow_reconfiguration(clean_logging: None) -> None:
    """Module-level loggers write to whatever the latest configuration says."""
    log = get_logger("module.level")
    first, second = io.StringIO(), io.StringIO()

    configure_logging(fmt="json", stream=first)
    log.info("one")
    configure_logging(fmt="console", level="error", stream=second)
    log.info("filtered")
    log.error("two")

    assert [line["message"] for line in json_lines(first)] == ["one"]
    assert console_lines(second) == ["ERROR [module.level] two"]


def test_configure_is_idempotent(clean_logging: None) -> None:
    """Calling it again replaces the root handler instead of adding one."""
    stream = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    configure_logging(fmt="json", stream=stream)

    logging.getLogger("uvicorn").info("once")

    assert len(logging.getLogger().handlers) == 1
    assert [line["message"] for line in json_lines(stream)] == ["once"]


def test_invalid_configuration_changes_nothing(out: io.StringIO) -> None:
    """A bad level is rejected before the current configuration is touched."""
    with pytest.raises(ValueError, match="loud"):
        configure_logging(level="loud", fmt="json")

    get_logger("l").trace("still here")

    assert json_lines(out)[0]["message"] == "still here"


def test_structlog_get_logger_is_configured_too(out: io.StringIO) -> None:
    """Code using structlog directly gets the same renderer and levels."""
    structlog.get_logger().warning("direct", user_id=1)

    [line] = json_lines(out)
    assert (line["level"], line["logger"], line["user-id"]) == ("warn", "root", 1)


def test_python_warnings_become_log_lines(out: io.StringIO) -> None:
    """warnings.warn output is one more json line, not free text on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old API", UserWarning, stacklevel=1)

    [line] = json_lines(out)
    assert (line["logger"], line["level"]) == ("py.warnings", "warn")
    assert "old API" in line["message"]


def test_get_logger_before_configure_prints_console_info_to_stdout(
    clean_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The unconfigured default is info level, console format, sys.stdout."""
    log = get_logger("early")
    log.debug("hidden")
    log.info("visible", n=1)

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert CONSOLE_PREFIX.sub("", lines[0]) == "INFO [early] visible n=1"


def test_reset_logging_removes_our_handler(clean_logging: None) -> None:
    """After reset, stdlib logging is no longer routed through our renderer."""
    stream = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    reset_logging()

    logging.getLogger("uvicorn").warning("not ours")

    assert stream.getvalue() == ""
    assert logging.getLogger().level == logging.WARNING


def test_default_stream_is_stdout_at_write_time(
    clean_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a stream, lines go to the current sys.stdout."""
    configure_logging(fmt="json")

    get_logger("l").info("to stdout")

    assert json.loads(capsys.readouterr().out)["message"] == "to stdout"
    assert sys.stdout is not None


def test_two_threads_logging_at_once_produce_whole_lines(out: io.StringIO) -> None:
    """1,000 events from each of two threads (one structlog, one stdlib): 2,000 valid lines."""
    barrier = threading.Barrier(2)

    def structlog_thread() -> None:
        log = get_logger("api")
        barrier.wait()
        for i in range(1000):
            log.info("api event", i=i, payload="x" * 200)

    def stdlib_thread() -> None:
        log = logging.getLogger("ops")
        barrier.wait()
        for i in range(1000):
            log.info("ops event %d %s", i, "y" * 200)

    threads = [threading.Thread(target=structlog_thread), threading.Thread(target=stdlib_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = json_lines(out)
    assert len(lines) == 2000
    assert sorted(line["i"] for line in lines if line["logger"] == "api") == list(range(1000))
    assert sum(line["logger"] == "ops" for line in lines) == 1000


# --- the server's writer thread ----------------------------------------------------------


def test_background_writer_keeps_order_and_flush_waits_for_every_line(
    clean_logging: None,
) -> None:
    """The loop only queues; `flush_logs` returns once every earlier line is written."""
    stream = io.StringIO()
    configure_logging(level="info", fmt="json", stream=stream, background=True)
    log = get_logger("order")
    for n in range(2000):
        log.info("line", n=n)
    flush_logs()
    assert [line["n"] for line in json_lines(stream)] == list(range(2000))


@pytest.mark.parametrize("world", ["structlog", "stdlib"])
def test_background_writer_writes_off_the_calling_thread(clean_logging: None, world: str) -> None:
    """Neither a structlog event nor a stdlib record (uvicorn's) is written on the loop."""
    writers: list[str] = []

    class Recording(io.StringIO):
        def write(self, text: str) -> int:
            writers.append(threading.current_thread().name)
            return super().write(text)

    stream = Recording()
    configure_logging(level="info", fmt="json", stream=stream, background=True)
    if world == "structlog":
        get_logger("thread").info("hello")
    else:
        logging.getLogger("uvicorn.error").warning("hello")
    flush_logs()
    assert json.loads(stream.getvalue())["message"] == "hello"
    assert threading.current_thread().name not in writers
    assert set(writers) == {"boundary-log-writer"}


def test_reconfiguring_writes_the_old_writers_lines_first(clean_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(level="info", fmt="json", stream=stream, background=True)
    get_logger("first").info("before")
    configure_logging(level="info", fmt="json", stream=stream)
    get_logger("second").info("after")
    assert [line["message"] for line in json_lines(stream)] == ["before", "after"]
