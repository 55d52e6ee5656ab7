"""The failed-login watch (shell): feeds `core.FailedLoginWatch` and reports its alerts.

The login code calls `record_failure()` after each failed attempt. It is synchronous and
cheap (a bounded tuple, one lock, no I/O), so it can be called from the event loop or a
thread; the alert goes out through the `ErrorReporter`, which queues it without blocking.
At most one warning event per cooldown (5 minutes), per process (§13: "on one instance").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

from boundary.observability.errors import core
from boundary.observability.errors.ports import ErrorReporter
from boundary.observability.logging import Logger, get_logger

ALERT_MESSAGE: Final = "Suspicious authentication pattern: many failed logins"
ALERT_TAG: Final = "failed_logins"


class FailedLoginAlarm:
    """Report a warning when more than `threshold` logins fail within `window` seconds."""

    def __init__(
        self,
        reporter: ErrorReporter,
        *,
        clock: Callable[[], float] = time.monotonic,
        logger: Logger | None = None,
        threshold: int = core.FAILED_LOGIN_THRESHOLD,
        window: float = core.FAILED_LOGIN_WINDOW,
        cooldown: float = core.FAILED_LOGIN_COOLDOWN,
    ) -> None:
        self._reporter = reporter
        self._clock = clock
        self._log = logger or get_logger("boundary.security")
        self._watch = core.FailedLoginWatch(threshold=threshold, window=window, cooldown=cooldown)
        self._lock = threading.Lock()

    def record_failure(self) -> None:
        """Note one failed login now; alert when the pattern calls for it. Never raises."""
        with self._lock:
            self._watch, alert = core.record_failure(self._watch, self._clock())
        if alert is not None:
            self._report(alert)

    def _report(self, alert: core.FailedLoginAlert) -> None:
        fields = {
            "failures": alert.failures,
            "threshold": alert.threshold,
            "window-seconds": alert.window,
        }
        try:
            self._log.warn(ALERT_MESSAGE, **fields)
            self._reporter.capture_message(
                f"More than {alert.threshold} failed logins within {alert.window:g} seconds",
                level="warning",
                tags={"alert": ALERT_TAG},
            )
        except Exception:  # an alert must never fail a login
            return
