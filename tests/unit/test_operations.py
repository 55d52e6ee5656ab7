"""`operation`: one log event per business operation, as decorator and context manager."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from boundary.db.errors import DatabaseUnavailable
from boundary.kernel.errors import NotFound
from boundary.observability.logging import configure_logging, get_logger, reset_logging
from boundary.observability.operations import operation


class RecordingLogger:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def _record(self, level: str, msg: str, fields: dict[str, Any]) -> None:
        self.events.append((level, msg, fields))

    def debug(self, msg: str, /, **fields: Any) -> None:
        self._record("debug", msg, fields)

    def info(self, msg: str, /, **fields: Any) -> None:
        self._record("info", msg, fields)

    def warn(self, msg: str, /, **fields: Any) -> None:
        self._record("warn", msg, fields)

    def error(self, msg: str, /, **fields: Any) -> None:
        self._record("error", msg, fields)


def not_found() -> NotFound:
    return NotFound("Not found")


class Service:
    def __init__(self, log: Any) -> None:
        self.log = log

    @operation("user.get", RecordingLogger(), user_id="admin-1")
    async def get(self, user_id: int) -> dict[str, int]:
        """Decorated at class level with its own logger (kept on the wrapper)."""
        return {"id": user_id}


def test_decorated_async_method_logs_completion_and_returns() -> None:
    log = RecordingLogger()

    @operation("user.create", log, user_id="u-1")
    async def create(email: str) -> str:
        return email.upper()

    assert asyncio.run(create("a@example.com")) == "A@EXAMPLE.COM"
    [(level, message, fields)] = log.events
    assert (level, message) == ("info", "Operation completed")
    assert fields["operation"] == "user.create"
    assert fields["user_id"] == "u-1"
    assert isinstance(fields["duration_ms"], float)
    assert fields["duration_ms"] >= 0
    assert create.__name__ == "create"


def test_decorator_works_on_methods() -> None:
    assert asyncio.run(Service(None).get(5)) == {"id": 5}


def test_expected_problem_is_a_warning_and_propagates() -> None:
    log = RecordingLogger()

    async def run() -> None:
        async with operation("user.get", log):
            raise not_found()

    with pytest.raises(NotFound):
        asyncio.run(run())
    [(level, message, fields)] = log.events
    assert (level, message) == ("warn", "Operation failed")
    assert fields["error.kind"] == "NotFound"
    assert fields["error.message"] == "Not found"


def test_unexpected_failure_is_an_error_with_its_secrets_redacted() -> None:
    log = RecordingLogger()

    @operation("user.update", log)
    async def update() -> None:
        raise RuntimeError("connect postgresql://u:hunter2@db failed")

    with pytest.raises(RuntimeError):
        asyncio.run(update())
    [(level, _, fields)] = log.events
    assert level == "error"
    assert fields["error.kind"] == "RuntimeError"
    assert "hunter2" not in fields["error.message"]


def test_an_unavailable_database_is_an_error() -> None:
    log = RecordingLogger()

    async def run() -> None:
        async with operation("db.call", log):
            raise DatabaseUnavailable("unreachable")

    with pytest.raises(DatabaseUnavailable):
        asyncio.run(run())
    assert log.events[0][0] == "error"


def test_context_manager_takes_fields_set_while_running() -> None:
    log = RecordingLogger()

    async def run() -> None:
        async with operation("user.create", log) as op:
            op.user_id = "new-user"
            op.fields["role"] = "admin"

    asyncio.run(run())
    [(_, _, fields)] = log.events
    assert fields["user_id"] == "new-user"
    assert fields["role"] == "admin"


def test_cancellation_is_a_warning() -> None:
    log = RecordingLogger()

    async def run() -> None:
        async with operation("slow", log):
            await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.create_task(run())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert log.events[0][0] == "warn"
    assert log.events[0][2]["error.kind"] == "CancelledError"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(level="info", fmt="json", service="boundary-api", stream=stream)
    yield stream
    reset_logging()


def test_json_log_line_has_the_contract_field_names(json_lines: io.StringIO) -> None:
    """§8: `operation`, `duration-ms`, `user-id`, `error.kind`, `error.message`."""

    @operation("user.delete", get_logger("boundary.user.service"), user_id="42")
    async def delete() -> None:
        raise not_found()

    with pytest.raises(NotFound):
        asyncio.run(delete())
    record = json.loads(json_lines.getvalue().strip().splitlines()[-1])
    assert record["level"] == "warn"
    assert record["message"] == "Operation failed"
    assert record["operation"] == "user.delete"
    assert record["user-id"] == "42"
    assert isinstance(record["duration-ms"], float)
    assert record["error.kind"] == "NotFound"
    assert record["error.message"] == "Not found"


def test_a_read_logs_success_at_debug_and_failure_as_usual() -> None:
    log = RecordingLogger()

    @operation("user.list", log, read=True)
    async def listing(fail: bool) -> int:
        if fail:
            raise RuntimeError("boom")
        return 1

    assert asyncio.run(listing(False)) == 1
    with pytest.raises(RuntimeError):
        asyncio.run(listing(True))
    assert [(level, msg) for level, msg, _ in log.events] == [
        ("debug", "Operation completed"),
        ("error", "Operation failed"),
    ]


def test_no_user_id_field_unless_given() -> None:
    log = RecordingLogger()

    async def run() -> None:
        async with operation("user.get", log):
            pass

    asyncio.run(run())
    assert "user_id" not in log.events[0][2]
