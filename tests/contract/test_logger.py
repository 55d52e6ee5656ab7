"""Contract of the `Logger` port, run alike against the fake (tests/fakes/logging.py) and the
real logger (`get_logger`, configured to write JSON lines into a buffer): every level takes a
message and fields, `bind` adds fields to what follows without changing the parent. Field names
are one word here: the JSON renderer spells `a_b` as `a-b`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from boundary.observability.logging import Logger, configure_logging, get_logger, reset_logging
from tests.fakes.logging import RecordingLogger

Event = tuple[str, str, dict[str, Any]]
STANDARD = frozenset({"timestamp", "level", "message", "service", "logger"})
"""Keys every JSON line has, besides the event's own fields."""


@dataclass
class Backend:
    logger: Logger
    events: Callable[[], list[Event]]
    """(level, message, fields) of everything logged so far, oldest first."""


def _json_events(stream: io.StringIO) -> list[Event]:
    events = []
    for line in stream.getvalue().splitlines():
        record = json.loads(line)
        fields = {
            k: v for k, v in record.items() if k not in STANDARD and not k.startswith("error.")
        }
        events.append((record["level"], record["message"], fields))
    return events


@pytest.fixture(params=["fake", "structlog"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "fake":
        fake = RecordingLogger()
        yield Backend(fake, lambda: [(lvl, msg, f) for lvl, msg, f in fake.events])
        return
    reset_logging()
    stream = io.StringIO()
    configure_logging(level="trace", fmt="json", stream=stream)
    try:
        yield Backend(get_logger("contract"), lambda: _json_events(stream))
    finally:
        reset_logging()


LEVELS = [
    ("trace", "trace"),
    ("debug", "debug"),
    ("info", "info"),
    ("warning", "warn"),
    ("warn", "warn"),
    ("error", "error"),
    ("fatal", "fatal"),
]


@pytest.mark.parametrize(("method", "level"), LEVELS)
def test_each_level_logs_its_message_and_fields(backend: Backend, method: str, level: str) -> None:
    getattr(backend.logger, method)("something happened", count=3, who="ann")
    [(logged_level, message, fields)] = backend.events()
    assert (logged_level, message) == (level, "something happened")
    assert fields == {"count": 3, "who": "ann"}


def test_exception_logs_at_error_level(backend: Backend) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        backend.logger.exception("it failed", step=2)
    [(level, message, fields)] = backend.events()
    assert (level, message, fields) == ("error", "it failed", {"step": 2})


def test_bind_adds_fields_to_what_follows_and_leaves_the_parent_alone(backend: Backend) -> None:
    child = backend.logger.bind(request="r-1")
    child.info("in the request", n=1)
    backend.logger.info("outside", n=2)
    assert backend.events() == [
        ("info", "in the request", {"request": "r-1", "n": 1}),
        ("info", "outside", {"n": 2}),
    ]
