"""DogStatsD metrics adapter (shell): the `Metrics` port over UDP to a Datadog agent.

Fire-and-forget by construction: the `datadog` client buffers lines and a background thread
sends them (a full queue drops, it never waits), telemetry is off, and every call is guarded
so a metric can never raise into a request. Tags are `key:value` (§13); every datagram also
carries the constant tags `service:…`, `env:…`, `version:…`. Timings are distributions in ms
(`|d`), which Datadog aggregates across hosts into true percentiles.

Tags go out verbatim (`path:/api/v1/users/{id}`, as §13 requires): the client's own tag
normalisation would turn `{id}` into `_id_`, so `_VerbatimTagsDogStatsd` adds the call's tags
itself and only replaces the characters that would break the datagram (`|`, `,`, newlines).
That override leans on the private `DogStatsd._serialize_metric` (the client offers no public
way to send tags unnormalised): datadog is pinned in constraints.txt and the unit tests pin
the wire format, so an upgrade that changes the hook fails them instead of renaming tags.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from datadog.dogstatsd.base import DogStatsd

from boundary.observability.logging import get_logger
from boundary.observability.metrics.core import statsd_tags
from boundary.observability.metrics.ports import Tags

SENDER_QUEUE_SIZE: Final = 4096
"""Payloads the background sender may hold; beyond that new payloads are dropped."""
FLUSH_INTERVAL: Final = 0.3
CLOSE_TIMEOUT: Final = 2.0
_UNSAFE_IN_TAG: Final = re.compile(r"[|,\r\n]")
CLIENT_LOG_INTERVAL: Final = 60.0
"""While the agent is unreachable the client warns on every flush; one line a minute is kept."""


class _OncePerInterval(logging.Filter):
    """Let one record through per `interval` seconds (the client's "dropping packet" noise)."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self._interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self._interval
            return True


def _throttle_client_log() -> None:
    client_log = logging.getLogger("datadog.dogstatsd")
    if not any(isinstance(existing, _OncePerInterval) for existing in client_log.filters):
        client_log.addFilter(_OncePerInterval(CLIENT_LOG_INTERVAL))


class _VerbatimTagsDogStatsd(DogStatsd):
    """`DogStatsd` whose per-call tags keep `{`, `}` and other printable characters."""

    def _serialize_metric(
        self, metric: str, metric_type: str, value: Any, tags: Any, *args: Any, **kwargs: Any
    ) -> str:
        payload: str = super()._serialize_metric(metric, metric_type, value, None, *args, **kwargs)
        if not tags:
            return payload
        own = ",".join(_UNSAFE_IN_TAG.sub("_", str(tag)) for tag in tags)
        return _with_tags(payload, own)


def _with_tags(payload: str, tags: str) -> str:
    """`payload` (`name:value|type[|@rate][|#constant][|…]`) with `tags` first in its tags."""
    fields = payload.split("|")
    for index, field in enumerate(fields[2:], start=2):
        if field.startswith("#"):
            fields[index] = f"#{tags},{field[1:]}"
            return "|".join(fields)
    at = 3 if len(fields) > 2 and fields[2].startswith("@") else 2
    fields.insert(at, f"#{tags}")
    return "|".join(fields)


class StatsdMetrics:
    """The `Metrics` port on `DogStatsd`; `close()` flushes what is pending and stops threads."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        constant_tags: Mapping[str, str] | None = None,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        self._log = get_logger("boundary.metrics.statsd")
        _throttle_client_log()
        self._client = _VerbatimTagsDogStatsd(
            host=host,
            port=port,
            constant_tags=statsd_tags(constant_tags) or [],
            disable_telemetry=True,
            disable_buffering=False,
            flush_interval=flush_interval,
            disable_background_sender=False,
            sender_queue_size=SENDER_QUEUE_SIZE,
            sender_queue_timeout=0,
            socket_timeout=0,
        )

    def increment(self, name: str, value: float = 1, tags: Tags | None = None) -> None:
        self._guard(self._client.increment, name, value, statsd_tags(tags))

    def timing(self, name: str, milliseconds: float, tags: Tags | None = None) -> None:
        self._guard(self._client.distribution, name, milliseconds, statsd_tags(tags))

    def gauge(self, name: str, value: float, tags: Tags | None = None) -> None:
        self._guard(self._client.gauge, name, value, statsd_tags(tags))

    def flush(self) -> None:
        """Hand buffered lines to the sender now (tests; the flush thread does it otherwise)."""
        self._guard_call(self._client.flush)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Send what is pending (bounded by `timeout`), stop the threads, close the socket."""
        self._guard_call(lambda: self._client.stop(timeout=timeout))
        self._guard_call(self._client.close_socket)

    def _guard(
        self, send: Callable[..., Any], name: str, value: float, tags: list[str] | None
    ) -> None:
        try:
            send(name, value, tags=tags)
        except Exception as exc:  # a metric must never fail a request
            self._dropped(name, exc)

    def _guard_call(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:
            self._dropped("-", exc)

    def _dropped(self, name: str, exc: Exception) -> None:
        self._log.debug(
            "StatsD metric dropped",
            metric=name,
            **{"error.kind": type(exc).__name__, "error.message": str(exc)},
        )


def constant_tags(*, service: str, environment: str, version: str) -> dict[str, str]:
    """The tags every DogStatsD datagram carries."""
    return {"service": service, "env": environment, "version": version}
