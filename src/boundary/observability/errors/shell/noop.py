"""An error reporter that reports nothing (no `error_reporting.dsn`)."""

from __future__ import annotations

from collections.abc import Mapping

from boundary.observability.errors.ports import Level


class NoopReporter:
    def capture_exception(
        self, exc: BaseException, *, tags: Mapping[str, str] | None = None
    ) -> None:
        return None

    def capture_message(
        self, message: str, *, level: Level = "info", tags: Mapping[str, str] | None = None
    ) -> None:
        return None

    def flush(self, timeout: float = 2.0) -> None:
        return None
