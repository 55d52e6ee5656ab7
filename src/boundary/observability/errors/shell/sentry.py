"""Sentry error reporting (shell): `init_sentry` owns the one process-wide `sentry_sdk.init`.

Called once by the composition root when `error_reporting.dsn` is set. Every event passes
through `core.scrub` (`before_send`), so request bodies, cookies, Authorization headers,
passwords and tokens never leave the process. Integrations are chosen, not defaulted:

* no auto-enabled framework integrations (Starlette/FastAPI/SQLAlchemy/Redis patching): the
  edge reports 5xx and unhandled exceptions explicitly through the `ErrorReporter` port;
* logging records become breadcrumbs only (`event_level=None`), so warnings and error lines,
  which the edge already reports, are not sent twice;
* the atexit hook flushes quietly (its default prints to stderr, which would break the
  one-JSON-object-per-line rule of §13);
* no local variables in stack frames (a `body` variable may hold a raw password).

`reset_sentry()` closes the client and forgets the initialisation (tests).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

import sentry_sdk
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.modules import ModulesIntegration
from sentry_sdk.integrations.stdlib import StdlibIntegration
from sentry_sdk.integrations.threading import ThreadingIntegration
from structlog.contextvars import get_contextvars

from boundary.config.model import Settings
from boundary.observability.errors.core import scrub
from boundary.observability.errors.ports import Level

CORRELATION_TAG: Final = "correlation_id"
USER_TAG: Final = "user_id"
CLOSE_TIMEOUT: Final = 2.0


class SentryReporter:
    """The `ErrorReporter` port on the initialised Sentry client.

    Each capture runs in a fresh scope carrying `tags`; `correlation_id` and `user_id` come
    from `tags` or else from the log context the HTTP middleware bound for this request.
    """

    def capture_exception(
        self, exc: BaseException, *, tags: Mapping[str, str] | None = None
    ) -> None:
        try:
            with sentry_sdk.new_scope() as scope:
                _tag(scope, tags)
                scope.capture_exception(exc)
        except Exception:  # reporting must never fail the caller
            logging.getLogger("boundary.errors").debug("Sentry capture failed", exc_info=True)

    def capture_message(
        self, message: str, *, level: Level = "info", tags: Mapping[str, str] | None = None
    ) -> None:
        try:
            with sentry_sdk.new_scope() as scope:
                _tag(scope, tags)
                scope.capture_message(message, level=level)
        except Exception:
            logging.getLogger("boundary.errors").debug("Sentry capture failed", exc_info=True)

    def flush(self, timeout: float = 2.0) -> None:
        sentry_sdk.flush(timeout=timeout)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("boundary")
    except PackageNotFoundError:
        return "unknown"


class _State:
    reporter: SentryReporter | None = None


def init_sentry(settings: Settings) -> SentryReporter | None:
    """Initialise Sentry once from `settings.error_reporting`; None while no DSN is set.

    A second call returns the reporter of the first (the client is process-wide).
    """
    if _State.reporter is not None:
        return _State.reporter
    config = settings.error_reporting
    if config.dsn is None:
        return None
    sentry_sdk.init(
        dsn=config.dsn.get_secret_value(),
        environment=config.environment or settings.environment,
        # Unset, the SDK would read SENTRY_RELEASE or run `git rev-parse` to guess one.
        release=config.release or f"boundary@{_version()}",
        traces_sample_rate=config.traces_sample_rate,
        before_send=_before_send,
        before_send_transaction=_before_send,
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=_integrations(),
        include_local_variables=False,
        max_request_body_size="never",
        auto_session_tracking=False,
        # No trace headers on outgoing requests (the SDK's default target list is every URL).
        trace_propagation_targets=[],
    )
    _State.reporter = SentryReporter()
    return _State.reporter


def close_sentry(timeout: float = CLOSE_TIMEOUT) -> None:
    """Send what is queued (bounded by `timeout`) and close the client; call at shutdown."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=timeout)


def reset_sentry() -> None:
    """Close the client and forget it, so the next `init_sentry` initialises again (tests)."""
    close_sentry(timeout=0.5)
    sentry_sdk.get_global_scope().set_client(None)
    _State.reporter = None


def _before_send(event: Any, _hint: Any) -> Any:
    return scrub(event)


def _quiet_atexit(_pending: int, _timeout: float) -> None:
    return None


def _integrations() -> list[Any]:
    return [
        LoggingIntegration(level=logging.INFO, event_level=None),
        AtexitIntegration(callback=_quiet_atexit),
        DedupeIntegration(),
        ExcepthookIntegration(),
        ModulesIntegration(),
        StdlibIntegration(),
        ThreadingIntegration(),
    ]


def _tag(scope: Any, tags: Mapping[str, str] | None) -> None:
    context = get_contextvars()
    merged = {
        CORRELATION_TAG: context.get(CORRELATION_TAG),
        USER_TAG: context.get(USER_TAG),
        **(tags or {}),
    }
    for key, value in merged.items():
        if value is not None:
            scope.set_tag(key, str(value))
    user_id = merged.get(USER_TAG)
    if user_id is not None:
        scope.set_user({"id": str(user_id)})
