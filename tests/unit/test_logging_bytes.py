"""The exact bytes of representative log lines, pinned so the logging shell can be rebuilt safely.

Every byte is compared except the digits of the clock reading of structlog events (their shape
is checked: milliseconds and `Z` in json, seconds in console); stdlib records carry their own
creation time, which these tests set, so their lines are compared whole, timestamp included.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog

from boundary.observability.logging import configure_logging, get_logger, reset_logging

JSON_CLOCK = re.compile(
    r'^\{"timestamp":"(?!2026-01-03T12:00:00)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",'
)
CONSOLE_CLOCK = re.compile(r"^(?!2026-01-03 12:00:00)\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
CREATED = datetime(2026, 1, 3, 12, 0, 0, 123456, tzinfo=UTC).timestamp()


class Thing:
    def __str__(self) -> str:
        return "a thing"


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    reset_logging()
    yield
    structlog.contextvars.clear_contextvars()
    reset_logging()


def logged(fmt: str, level: str = "info", emit: Any = None) -> list[str]:
    """The lines `emit()` writes, each current clock reading checked and replaced by `TS`.

    Lines stamped `CREATED` (the stdlib records made here) keep their timestamp.
    """
    stream = io.StringIO()
    configure_logging(level=level, fmt=fmt, stream=stream)
    emit()
    lines = stream.getvalue().split("\n")
    assert lines.pop() == "", "every line ends with a newline"
    return [
        JSON_CLOCK.sub('{"timestamp":"TS",', line)
        if fmt == "json"
        else CONSOLE_CLOCK.sub("TS ", line)
        for line in lines
    ]


def structlog_events() -> None:
    structlog.contextvars.bind_contextvars(correlation_id="req-1", tenant_id="t1")
    log = get_logger("boundary.user.service").bind(operation="create")
    log.info(
        "User created",
        user_id=123,
        email="user@example.com",
        duration_ms=4.2,
        password="hunter2",
        headers={"Authorization": "Bearer abc", "Accept": "*/*"},
        tags=["a", "b c"],
        when=datetime(2026, 1, 3, 12, 0, tzinfo=UTC),
        thing=Thing(),
        service="redis",
        active=True,
        nothing=None,
        note="",
        text='say "hi"\nbye',
    )
    log.warning("Slow query", statement="SELECT 1", duration_ms=812)
    log.debug("hidden at info")
    log.info("odd values", big=2**70, mapping={(1, 2): "tuple key"})
    log.info("multi\nline message to postgresql://app:pw@db/app")
    structlog.contextvars.clear_contextvars()
    structlog.get_logger().warning("direct", user_id=1)
    get_logger("l").fatal("fatal", **{"error.kind": "Custom"})
    get_logger("l").exception("nothing raised")


def test_json_lines_of_structlog_events() -> None:
    assert logged("json", emit=structlog_events) == [
        '{"timestamp":"TS","level":"info","message":"User created","service":"boundary-api",'
        '"logger":"boundary.user.service","correlation-id":"req-1","operation":"create",'
        '"user-id":123,"email":"user@example.com","duration-ms":4.2,"password":"[REDACTED]",'
        '"headers":{"Authorization":"[REDACTED]","Accept":"*/*"},"tags":["a","b c"],'
        '"when":"2026-01-03T12:00:00+00:00","thing":"a thing","field.service":"redis",'
        '"active":true,"nothing":null,"note":"","text":"say \\"hi\\"\\nbye","tenant-id":"t1"}',
        '{"timestamp":"TS","level":"warn","message":"Slow query","service":"boundary-api",'
        '"logger":"boundary.user.service","correlation-id":"req-1","operation":"create",'
        '"statement":"SELECT 1","duration-ms":812,"tenant-id":"t1"}',
        '{"timestamp":"TS","level":"info","message":"odd values","service":"boundary-api",'
        '"logger":"boundary.user.service","correlation-id":"req-1","operation":"create",'
        '"big":"1180591620717411303424","mapping":{"(1, 2)":"tuple key"},"tenant-id":"t1"}',
        '{"timestamp":"TS","level":"info",'
        '"message":"multi\\nline message to postgresql://app:[REDACTED]@db/app",'
        '"service":"boundary-api","logger":"boundary.user.service","correlation-id":"req-1",'
        '"operation":"create","tenant-id":"t1"}',
        '{"timestamp":"TS","level":"warn","message":"direct","service":"boundary-api",'
        '"logger":"root","user-id":1}',
        '{"timestamp":"TS","level":"fatal","message":"fatal","service":"boundary-api",'
        '"logger":"l","error.kind":"Custom"}',
        '{"timestamp":"TS","level":"error","message":"nothing raised","service":"boundary-api",'
        '"logger":"l"}',
    ]


def test_console_lines_of_structlog_events() -> None:
    assert logged("console", emit=structlog_events) == [
        "TS INFO [boundary.user.service] User created correlation-id=req-1 operation=create "
        "user-id=123 email=user@example.com duration-ms=4.2 password=[REDACTED] "
        'headers="{\\"Authorization\\":\\"[REDACTED]\\",\\"Accept\\":\\"*/*\\"}" '
        'tags="[\\"a\\",\\"b c\\"]" when=2026-01-03T12:00:00+00:00 thing="a thing" '
        'field.service=redis active=true nothing=null note="" text="say \\"hi\\"\\nbye" '
        "tenant-id=t1",
        "TS WARN [boundary.user.service] Slow query correlation-id=req-1 operation=create "
        'statement="SELECT 1" duration-ms=812 tenant-id=t1',
        "TS INFO [boundary.user.service] odd values correlation-id=req-1 operation=create "
        "big=1180591620717411303424 mapping=\"{(1, 2): 'tuple key'}\" tenant-id=t1",
        "TS INFO [boundary.user.service] multi\\nline message to "
        "postgresql://app:[REDACTED]@db/app correlation-id=req-1 operation=create tenant-id=t1",
        "TS WARN [root] direct user-id=1",
        "TS FATAL [l] fatal error.kind=Custom",
        "TS ERROR [l] nothing raised",
    ]


def test_trace_level_lines() -> None:
    def emit() -> None:
        get_logger("t").trace("finest", step=1)
        get_logger("t").debug("fine")

    assert logged("console", level="trace", emit=emit) == [
        "TS TRACE [t] finest step=1",
        "TS DEBUG [t] fine",
    ]
    assert logged("json", level="trace", emit=emit)[0] == (
        '{"timestamp":"TS","level":"trace","message":"finest","service":"boundary-api",'
        '"logger":"t","step":1}'
    )


# --- stdlib records, clock included ----------------------------------------------------------


def stdlib_record(
    name: str,
    level: int,
    msg: str,
    *args: object,
    exc_info: Any = None,
    extra: dict[str, Any] | None = None,
    sinfo: str | None = None,
) -> None:
    """A record created at `CREATED`, handled as `logging.getLogger(name).log` would."""
    logger = logging.getLogger(name)
    record = logger.makeRecord(
        name, level, "f.py", 1, msg, args, exc_info, extra=extra, sinfo=sinfo
    )
    record.created = CREATED
    logger.handle(record)


def stdlib_events() -> None:
    structlog.contextvars.bind_contextvars(correlation_id="req-9")
    stdlib_record(
        "uvicorn.error",
        logging.WARNING,
        "Executing %s took %.1f seconds",
        "<Task>",
        0.25,
        extra={"job_id": 7, "color_message": "\x1b[1mExecuting\x1b[0m"},
    )
    structlog.contextvars.clear_contextvars()
    stdlib_record("sqlalchemy.engine", logging.CRITICAL, "gone to postgresql://a:pw@h/d")
    stdlib_record("custom", 15, "between debug and info")
    stdlib_record("custom", 5, "trace from stdlib")
    stdlib_record("stack", logging.INFO, "with a stack", sinfo="Stack (most recent...)")
    stdlib_record("", logging.ERROR, "no name")


def test_json_lines_of_stdlib_records() -> None:
    common = '"service":"boundary-api",'
    assert logged("json", level="trace", emit=stdlib_events) == [
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"warn",'
        f'"message":"Executing <Task> took 0.2 seconds",{common}"logger":"uvicorn.error",'
        '"correlation-id":"req-9","job-id":7}',
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"fatal",'
        f'"message":"gone to postgresql://a:[REDACTED]@h/d",{common}"logger":"sqlalchemy.engine"}}',
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"debug",'
        f'"message":"between debug and info",{common}"logger":"custom"}}',
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"trace",'
        f'"message":"trace from stdlib",{common}"logger":"custom"}}',
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"info",'
        f'"message":"with a stack",{common}"logger":"stack"}}',
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"error",'
        f'"message":"no name",{common}"logger":"root"}}',
    ]


def test_console_lines_of_stdlib_records() -> None:
    assert logged("console", level="trace", emit=stdlib_events) == [
        "2026-01-03 12:00:00 WARN [uvicorn.error] Executing <Task> took 0.2 seconds "
        "correlation-id=req-9 job-id=7",
        "2026-01-03 12:00:00 FATAL [sqlalchemy.engine] gone to postgresql://a:[REDACTED]@h/d",
        "2026-01-03 12:00:00 DEBUG [custom] between debug and info",
        "2026-01-03 12:00:00 TRACE [custom] trace from stdlib",
        "2026-01-03 12:00:00 INFO [stack] with a stack",
        "2026-01-03 12:00:00 ERROR [root] no name",
    ]


# --- exceptions ------------------------------------------------------------------------------


def raised() -> ConnectionError:
    try:
        raise ConnectionError("cannot reach postgresql://u:pw@h/db")
    except ConnectionError as exc:
        return exc


def exception_events(exc: ConnectionError) -> None:
    log = get_logger("boundary.http")
    try:
        raise exc
    except ConnectionError:
        log.exception("Unhandled error", route="/x")
        stdlib_record("uvicorn.error", logging.ERROR, "stdlib too", exc_info=sys.exc_info())
    log.warn("Handled", exc_info=exc, attempt=2)


def test_json_lines_with_an_exception() -> None:
    exc = raised()
    lines = logged("json", emit=lambda: exception_events(exc))
    stack = "".join(traceback.format_exception(exc)).replace(":pw@", ":[REDACTED]@")
    error = (
        '"error.kind":"ConnectionError",'
        '"error.message":"cannot reach postgresql://u:[REDACTED]@h/db",'
        f'"error.stack":{json.dumps(stack)}}}'
    )
    assert stack.startswith("Traceback (most recent call last):\n")
    assert lines == [
        '{"timestamp":"TS","level":"error","message":"Unhandled error","service":"boundary-api",'
        f'"logger":"boundary.http","route":"/x",{error}',
        '{"timestamp":"2026-01-03T12:00:00.123Z","level":"error","message":"stdlib too",'
        f'"service":"boundary-api","logger":"uvicorn.error",{error}',
        '{"timestamp":"TS","level":"warn","message":"Handled","service":"boundary-api",'
        f'"logger":"boundary.http","attempt":2,{error}',
    ]


def test_console_lines_with_an_exception_put_the_stack_on_the_following_lines() -> None:
    exc = raised()
    text = "\n".join(logged("console", emit=lambda: exception_events(exc)))
    stack = "".join(traceback.format_exception(exc)).replace(":pw@", ":[REDACTED]@").rstrip()
    error = 'error.kind=ConnectionError error.message="cannot reach postgresql://u:[REDACTED]@h/db"'
    assert text == (
        f"TS ERROR [boundary.http] Unhandled error route=/x {error}\n{stack}\n"
        f"2026-01-03 12:00:00 ERROR [uvicorn.error] stdlib too {error}\n{stack}\n"
        f"TS WARN [boundary.http] Handled attempt=2 {error}\n{stack}"
    )
