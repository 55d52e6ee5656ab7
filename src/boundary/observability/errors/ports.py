"""The error-reporting port: what the system needs to send an error or alert somewhere.

Implementations never block or raise into the caller (Sentry queues to a background thread).
`tags` are short `key: value` strings (`correlation_id`, `user_id`, `alert`, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

Level = Literal["debug", "info", "warning", "error", "fatal"]


class ErrorReporter(Protocol):
    def capture_exception(
        self, exc: BaseException, *, tags: Mapping[str, str] | None = None
    ) -> None: ...

    def capture_message(
        self, message: str, *, level: Level = "info", tags: Mapping[str, str] | None = None
    ) -> None: ...

    def flush(self, timeout: float = 2.0) -> None: ...
