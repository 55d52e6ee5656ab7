"""Log records: levels, event shaping and the two line formats (functional core).

Pure functions on plain dicts, stdlib only: the shell (structlog processors and the stdlib
bridge) passes in the event, the level, the formatted clock reading and any exception already
turned into an `ErrorInfo`, and writes the returned line. Both worlds (structlog events and
stdlib records) go through `build_record`, so every line has the same shape and is redacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from boundary.kernel.redaction import REDACTED, is_sensitive_key, redact, redact_text

LEVELS: Final[Mapping[str, int]] = {
    "trace": 5,
    "debug": 10,
    "info": 20,
    "warn": 30,
    "error": 40,
    "fatal": 50,
}
"""Canonical level names (as written in json lines) and their numbers (stdlib-compatible)."""

FORMATS: Final = ("console", "json")

HEADER: Final = ("timestamp", "level", "message", "service", "logger", "correlation-id")
"""Keys every record starts with, in this order (`correlation-id` only when bound)."""

DEFAULT_LOGGER_NAME: Final = "root"

_ALIASES: Final[Mapping[str, str]] = {
    "warning": "warn",
    "critical": "fatal",
    "exception": "error",
    "err": "error",
    "msg": "info",
}
# Keys of the incoming event that become header values instead of fields.
_CONSUMED: Final = frozenset({"event", "logger", "correlation_id", "exc_info"})
_HEADER_SET: Final = frozenset(HEADER)
_CONSOLE_SKIPPED: Final = frozenset({"timestamp", "level", "message", "service", "logger"})
_NEEDS_QUOTES: Final = re.compile(r"[\s\"'=\\\x00-\x1f\x7f]")
_STACK_KEY: Final = "error.stack"


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    """An exception reduced to text by the shell (formatting a traceback reads source files)."""

    kind: str
    message: str
    stack: str | None = None


def parse_level(text: str) -> int:
    """The number of a level name given in any case; `warning`/`critical` are accepted."""
    name = _ALIASES.get(text.strip().lower(), text.strip().lower())
    if name not in LEVELS:
        expected = ", ".join(LEVELS)
        raise ValueError(f"unknown log level {text!r}; expected one of {expected}")
    return LEVELS[name]


def parse_format(text: str) -> str:
    """The canonical format name (`console` or `json`) of `text` given in any case."""
    name = text.strip().lower()
    if name not in FORMATS:
        raise ValueError(f"unknown log format {text!r}; expected console or json")
    return name


def level_name(method_name: str) -> str:
    """The canonical level of a logger method name (`warning` → `warn`, `exception` → `error`)."""
    return _ALIASES.get(method_name, method_name)


def level_for_number(levelno: int) -> str:
    """The canonical level of a stdlib level number: the highest level not above it."""
    found = "trace"
    for name, number in LEVELS.items():
        if levelno >= number:
            found = name
    return found


def field_name(key: str) -> str:
    """The output name of a field: `user_id` → `user-id`; dotted keys (`error.kind`) kept."""
    return key if "." in key else key.replace("_", "-")


def json_timestamp(now: datetime) -> str:
    """`now` in UTC as ISO-8601 with milliseconds and `Z`; naive datetimes count as UTC.

    Not structlog's `TimeStamper(fmt="iso", utc=True)`, which writes microseconds, and which
    stamps the time of processing where a stdlib record brings its own creation time.
    """
    return _naive_utc(now).isoformat(timespec="milliseconds") + "Z"


def console_timestamp(now: datetime) -> str:
    """`now` in UTC as `YYYY-MM-DD HH:MM:SS`; naive datetimes count as UTC."""
    return _naive_utc(now).isoformat(sep=" ", timespec="seconds")


def build_record(
    event: Mapping[str, Any],
    *,
    level: str,
    timestamp: str,
    service: str,
    error: ErrorInfo | None = None,
) -> dict[str, Any]:
    """The ordered, renamed, redacted record for one event: `HEADER` keys, fields, error.

    `event` is structlog's event dict: the message under `event`, the logger name under
    `logger`, the correlation id under `correlation_id`, everything else a field. `error`
    adds the `error.*` fields the event does not already carry.

    One pass instead of structlog's `add_log_level`, `EventRenamer("message")` and friends:
    those append their keys to the end of the dict, and the header order is fixed here.
    """
    record: dict[str, Any] = {
        "timestamp": timestamp,
        "level": level,
        "message": redact_text(safe_str(event.get("event", ""))),
        "service": service,
        "logger": safe_str(event.get("logger") or DEFAULT_LOGGER_NAME),
    }
    correlation_id = event.get("correlation_id")
    if correlation_id is not None:
        record["correlation-id"] = redact(correlation_id)
    record.update(_fields(event))
    if error is not None:
        for key, value in error_fields(error).items():
            record.setdefault(key, value)  # what the caller passed explicitly wins
    return record


def error_fields(error: ErrorInfo) -> dict[str, str]:
    """The `error.*` fields of an exception, with secrets in its text redacted."""
    fields = {"error.kind": error.kind, "error.message": redact_text(error.message)}
    if error.stack is not None:
        fields[_STACK_KEY] = redact_text(error.stack)
    return fields


def render_console(record: Mapping[str, Any]) -> str:
    """`<timestamp> <LEVEL> [<logger>] <message> key=value…`, plus a traceback on later lines.

    Not structlog's `ConsoleRenderer` (padded `[level]` column, colours, `repr` of non-strings) nor
    its `KeyValueRenderer` (every key, header included, as `key=repr(value)`).
    """
    parts = [
        f"{record['timestamp']} {record['level'].upper()} [{record['logger']}]",
        _one_line(record["message"]),
    ]
    parts.extend(
        f"{key}={console_value(value)}"
        for key, value in record.items()
        if key not in _CONSOLE_SKIPPED and key != _STACK_KEY
    )
    line = " ".join(parts)
    stack = record.get(_STACK_KEY)
    return f"{line}\n{stack.rstrip()}" if isinstance(stack, str) and stack else line


def console_value(value: Any) -> str:
    """A field value for the console: bare when unambiguous, else a JSON string literal."""
    text = _scalar_text(value)
    if text == "" or _NEEDS_QUOTES.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


def json_safe(value: Any) -> Any:
    """`value` made of JSON types only: unknown objects and huge ints as `str`, keys as `str`.

    The fallback for what the fast serializer refuses, so a log call never fails on a value.
    """
    if isinstance(value, str | bool | float | None):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, Mapping):
        return {safe_str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return safe_str(value)


def safe_str(value: object) -> str:
    """`str(value)`, or a placeholder when its `__str__` fails (logging must not raise)."""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def _fields(event: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The event's own fields, renamed and redacted; names clashing with the header get `field.`."""
    for key, value in event.items():
        if key in _CONSUMED:
            continue
        name = field_name(key)
        if name in _HEADER_SET:
            name = f"field.{name}"
        yield name, REDACTED if is_sensitive_key(key) else redact(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=safe_str)
        except (TypeError, ValueError):
            return safe_str(value)
    return safe_str(value)


def _one_line(message: str) -> str:
    if "\n" in message or "\r" in message:
        return message.replace("\r", "\\r").replace("\n", "\\n")
    return message


def _naive_utc(now: datetime) -> datetime:
    return now if now.tzinfo is None else now.astimezone(UTC).replace(tzinfo=None)
