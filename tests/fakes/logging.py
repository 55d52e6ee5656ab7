"""A fake of the `Logger` port (`observability.logging.Logger`): keeps every event in memory.

`RecordingLogger.events` holds (level, message, fields), with the levels the JSON lines
name (`warning` is logged as `warn`, `exception` as `error`) — fields include what `bind` added.
Loggers made by `bind` share their parent's list. Contract: tests/contract/test_logger.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordingLogger:
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    bound: dict[str, Any] = field(default_factory=dict)

    def _log(self, level: str, msg: str, fields: dict[str, Any]) -> None:
        self.events.append((level, msg, self.bound | fields))

    def trace(self, msg: str, /, **fields: Any) -> None:
        self._log("trace", msg, fields)

    def debug(self, msg: str, /, **fields: Any) -> None:
        self._log("debug", msg, fields)

    def info(self, msg: str, /, **fields: Any) -> None:
        self._log("info", msg, fields)

    def warn(self, msg: str, /, **fields: Any) -> None:
        self._log("warn", msg, fields)

    def warning(self, msg: str, /, **fields: Any) -> None:
        self._log("warn", msg, fields)

    def error(self, msg: str, /, **fields: Any) -> None:
        self._log("error", msg, fields)

    def fatal(self, msg: str, /, **fields: Any) -> None:
        self._log("fatal", msg, fields)

    def exception(self, msg: str, /, **fields: Any) -> None:
        self._log("error", msg, fields)

    def bind(self, **fields: Any) -> RecordingLogger:
        return RecordingLogger(self.events, self.bound | fields)

    def messages(self, level: str | None = None) -> list[str]:
        return [msg for lvl, msg, _ in self.events if level is None or lvl == level]

    def text(self) -> str:
        """Everything logged, as one string: for "this secret never reaches the log"."""
        return "\n".join(f"{lvl} {msg} {fields}" for lvl, msg, fields in self.events)
