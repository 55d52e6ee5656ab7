"""Error reports: scrubbing and the failed-login alert decision (functional core).

Pure functions on plain data, stdlib only. `scrub` is Sentry's `before_send` (the shell passes
the event dict in and sends what comes back); `FailedLoginWatch` is a value the shell feeds
with failure timestamps (seconds on any monotonic clock) and asks whether to alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from boundary.kernel.redaction import REDACTED, is_sensitive_key, redact

_REMOVED_REQUEST_KEYS: Final = ("data", "cookies")
_REMOVED_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)

FAILED_LOGIN_THRESHOLD: Final = 50
FAILED_LOGIN_WINDOW: Final = 300.0
FAILED_LOGIN_COOLDOWN: Final = 300.0


def scrub(event: Mapping[str, Any]) -> dict[str, Any]:
    """`event` without request bodies, cookies and credential headers, and with every value
    under a sensitive key (password, token, secret, …) at any depth and every Bearer/Basic
    credential or URL password in any string replaced by `REDACTED`."""
    cleaned = dict(event)
    request = cleaned.get("request")
    if isinstance(request, Mapping):
        cleaned["request"] = _scrub_request(request)
    scrubbed: dict[str, Any] = redact(cleaned)
    return scrubbed


def _scrub_request(request: Mapping[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in request.items() if key not in _REMOVED_REQUEST_KEYS}
    headers = kept.get("headers")
    if isinstance(headers, Mapping):
        kept["headers"] = {
            name: value
            for name, value in headers.items()
            if str(name).lower() not in _REMOVED_HEADERS
        }
    elif isinstance(headers, list):
        kept["headers"] = [pair for pair in headers if not _is_removed_header_pair(pair)]
    query = kept.get("query_string")
    if isinstance(query, str) and query:
        kept["query_string"] = scrub_query_string(query)
    return kept


def _is_removed_header_pair(pair: object) -> bool:
    return (
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and str(pair[0]).lower() in _REMOVED_HEADERS
    )


def scrub_query_string(query: str) -> str:
    """`query` with the values of sensitive parameters (`?token=…`) replaced."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, REDACTED if is_sensitive_key(name) else value) for name, value in pairs],
        safe="[]",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedLoginAlert:
    """Alert: more than `threshold` failed logins within `window` seconds."""

    failures: int
    threshold: int
    window: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedLoginWatch:
    """Recent failure times and the last alert time (seconds).

    Only the latest `threshold + 1` failures are kept: more than `threshold` failures lie
    within the window exactly when the oldest of those does, so memory and work stay bounded
    during an attack.
    """

    threshold: int = FAILED_LOGIN_THRESHOLD
    window: float = FAILED_LOGIN_WINDOW
    cooldown: float = FAILED_LOGIN_COOLDOWN
    recent: tuple[float, ...] = ()
    last_alert: float | None = None


def record_failure(
    watch: FailedLoginWatch, now: float
) -> tuple[FailedLoginWatch, FailedLoginAlert | None]:
    """The watch after a failure at `now`, and the alert to send now, if any.

    Alert when more than `threshold` failures fall within the last `window` seconds and no
    alert went out in the last `cooldown` seconds.
    """
    recent = (*watch.recent, now)[-(watch.threshold + 1) :]
    in_window = sum(1 for moment in recent if now - moment < watch.window)
    cooled = watch.last_alert is None or now - watch.last_alert >= watch.cooldown
    if in_window > watch.threshold and cooled:
        alert = FailedLoginAlert(failures=in_window, threshold=watch.threshold, window=watch.window)
        return replace(watch, recent=recent, last_alert=now), alert
    return replace(watch, recent=recent), None
