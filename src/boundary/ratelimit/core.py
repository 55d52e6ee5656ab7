"""Rate limiting core (pure): quotas, `Allow | Deny` decisions, headers, failure mode.

Stdlib only and never async. The shell counts (the `limits` library over memory or Redis) and
hands the counts in with the current time; everything decided from them lives here: what the
client is told (`RateLimit-*`, `Retry-After` as delta-seconds, §13), which routes are exempt
or carry their own limit, and what a limit does while its shared storage is unreachable.
Which address is the client is decided in `kernel.client_ip`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Mode = Literal["open", "closed"]
"""What a limit does while the shared storage is unreachable; see `on_storage_failure`."""

EXEMPT_PATHS: Final = frozenset({"/health", "/metrics", "/docs", "/redoc", "/openapi.json"})
EXEMPT_PREFIXES: Final = ("/health/", "/docs/", "/api/v1/_test/", "/admin/static/")


@dataclass(frozen=True, slots=True, kw_only=True)
class Quota:
    """One limit: `amount` hits per `window` seconds, counted under `name` per client key.

    `rate` is the configured spelling (`100/minute`); the shell parses it into amount and window.
    """

    name: str
    rate: str
    amount: int
    window: int
    mode: Mode = "open"


@dataclass(frozen=True, slots=True, kw_only=True)
class Allow:
    """Within the limit: `remaining` hits left, the window frees up in `reset_after` seconds."""

    quota: Quota
    remaining: int
    reset_after: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Deny:
    """Over the limit: retry in `retry_after` seconds (at least 1)."""

    quota: Quota
    retry_after: int


Decision = Allow | Deny


def decide(quota: Quota, *, allowed: bool, remaining: int, reset_at: float, now: float) -> Decision:
    """The decision for a counted hit: `reset_at` is the storage's epoch time when the window
    frees up; the delta is rounded up (never tell a client to come back too early)."""
    delta = min(max(math.ceil(reset_at - now), 0), quota.window)
    if allowed:
        return Allow(quota=quota, remaining=min(max(remaining, 0), quota.amount), reset_after=delta)
    return Deny(quota=quota, retry_after=max(delta, 1))


def on_storage_failure(quota: Quota, local: Decision | None) -> Decision:
    """The decision while the shared storage is unreachable.

    Both modes defer to the process-local fallback counters when they could decide (`local`).
    Without a local answer an `open` limit allows and a `closed` one refuses. The shell also
    keeps a `closed` limit's local counters in step while storage is healthy
    (`mirrors_locally`), so what this process saw before an outage still counts during it.
    """
    if local is not None:
        return local
    if quota.mode == "open":
        return Allow(quota=quota, remaining=quota.amount, reset_after=0)
    return Deny(quota=quota, retry_after=1)


def mirrors_locally(quota: Quota) -> bool:
    """Whether every hit is also counted in the local fallback, not only during an outage."""
    return quota.mode == "closed"


def headers(decision: Decision) -> tuple[tuple[str, str], ...]:
    """`RateLimit-Limit/-Remaining/-Reset`, the IETF draft's `RateLimit` and `RateLimit-Policy`,
    and on a denial `Retry-After` first; all times are delta-seconds."""
    quota = decision.quota
    if isinstance(decision, Deny):
        remaining, reset = 0, decision.retry_after
    else:
        remaining, reset = decision.remaining, decision.reset_after
    limit = str(quota.amount)
    common = (
        ("RateLimit-Limit", limit),
        ("RateLimit-Remaining", str(remaining)),
        ("RateLimit-Reset", str(reset)),
        ("RateLimit", f"limit={limit}, remaining={remaining}, reset={reset}"),
        ("RateLimit-Policy", policy(quota)),
    )
    if isinstance(decision, Deny):
        return (("Retry-After", str(decision.retry_after)), *common)
    return common


def policy(quota: Quota) -> str:
    """The draft's policy item: `100;w=60`."""
    return f"{quota.amount};w={quota.window}"


def is_exempt(path: str) -> bool:
    """Health, metrics, docs and the test-only routes are never limited (§5)."""
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


# --- per-route overrides -----------------------------------------------------------------------

_PARAMETER = re.compile(r"\{[^{}/]+\}")


class RouteOverrides:
    """Per-route limits set in code: `{(method, path or path template): quota}`.

    Templates (`/api/v1/users/{id}`) are compiled once here, so a lookup is one dict probe plus
    one match per template.
    """

    __slots__ = ("_exact", "_templates")

    def __init__(self, overrides: Mapping[tuple[str, str], Quota] | None = None) -> None:
        self._exact: dict[tuple[str, str], tuple[str, Quota]] = {}
        self._templates: list[tuple[str, re.Pattern[str], str, Quota]] = []
        for (method, path), quota in (overrides or {}).items():
            if _PARAMETER.search(path):
                self._templates.append((method.upper(), _template_pattern(path), path, quota))
            else:
                self._exact[(method.upper(), path)] = (path, quota)

    def __bool__(self) -> bool:
        return bool(self._exact or self._templates)

    def find(self, method: str, path: str) -> tuple[str, Quota] | None:
        """The (route, quota) overriding the default limit for this request, if any."""
        found = self._exact.get((method, path))
        if found is not None:
            return found
        for route_method, pattern, template, quota in self._templates:
            if route_method == method and pattern.fullmatch(path):
                return template, quota
        return None


def _template_pattern(template: str) -> re.Pattern[str]:
    """`/users/{id}` → `/users/[^/]+`; `{name:path}` matches across slashes."""
    parts: list[str] = []
    position = 0
    for match in _PARAMETER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(".+" if match.group().endswith(":path}") else "[^/]+")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))
