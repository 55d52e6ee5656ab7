"""The measured rows, each with its reference app and its targets (one worker).

Targets: /health/live ≥ 0.35× its bare-ASGI reference;
/auth/me ≥ 0.5× its asyncpg reference with p99 ≤ 40 ms; /users/{id} ≥ 0.4×; /users?limit=20
≥ 1,000 req/s with p99 ≤ 100 ms; login ≥ 50/s; every read p50 < 100 ms; peak RSS ≤ 150 MiB
per worker. At scale the list and login rows may be at most 2× slower than at 10,000 users.
The q rows: `users-q` searches a term that matches a handful of users at every scale (part of
one seeded user's email), so it is held to the growth limit; `users-q-broad` searches a last
name shared by ~1% of the users — its exact total counts ~1% of the table, which cannot stay
flat, so it is reported for information only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RSS_MIB_PER_WORKER = 150
GROWTH_LIMIT = 2.0
GROWTH_BASE_SCALE = 10_000


@dataclass(frozen=True)
class Target:
    """`metric` (a key of a measured row) at least / below `limit`."""

    metric: str
    limit: float
    at_least: bool

    def met(self, values: Mapping[str, float | None]) -> bool:
        value = values.get(self.metric)
        if value is None:
            return False
        return value >= self.limit if self.at_least else value <= self.limit

    def label(self) -> str:
        unit = {"ratio": "x", "rps": "/s", "rss_mib": "MiB"}.get(self.metric, "ms")
        name = {"ratio": "", "rps": "", "rss_mib": "RSS"}.get(self.metric, self.metric[:3])
        op = ">=" if self.at_least else ("<" if self.metric == "p50_ms" else "<=")
        return f"{name}{op}{self.limit:g}{unit}"


@dataclass(frozen=True)
class Row:
    """One line of the table: what is requested, against which reference, to which targets."""

    key: str
    title: str
    reference: str | None  # "bare", "asyncpg" or None
    targets: tuple[Target, ...]
    read: bool = True

    def all_targets(self, workers: int) -> tuple[Target, ...]:
        common = [Target("rss_mib", RSS_MIB_PER_WORKER * workers, at_least=False)]
        if self.read:
            common.insert(0, Target("p50_ms", 100, at_least=False))
        return (*self.targets, *common)

    def target_label(self) -> str:
        shown = [*self.targets, *([Target("p50_ms", 100, False)] if self.read else [])]
        return ", ".join(t.label() for t in shown)


def _ratio(limit: float) -> Target:
    return Target("ratio", limit, at_least=True)


ROWS = (
    Row("live", "GET /health/live", "bare", (_ratio(0.35),)),
    Row("ops-health", "ops GET /health", "bare", ()),
    Row("me", "GET /api/v1/auth/me", "asyncpg", (_ratio(0.5), Target("p99_ms", 40, False))),
    Row("user", "GET /api/v1/users/{id}", "asyncpg", (_ratio(0.4),)),
    Row(
        "users",
        "GET /api/v1/users?limit=20",
        None,
        (Target("rps", 1000, True), Target("p99_ms", 100, False)),
    ),
    Row("users-q", "GET /api/v1/users?limit=20&q=… (selective)", None, ()),
    Row("users-q-broad", "GET /api/v1/users?limit=20&q=… (broad, info)", None, ()),
    Row("users-deep", "GET /api/v1/users?limit=20&offset=…", None, ()),
    Row("login", "POST /api/v1/auth/login", None, (Target("rps", 50, True),), read=False),
)
BY_KEY = {row.key: row for row in ROWS}
GROWTH_ROWS = ("users", "users-q", "users-deep", "login")


def misses(row: Row, values: Mapping[str, float | None], workers: int) -> list[str]:
    """What keeps `row` from passing: unmet targets and any failed request."""
    found = [
        f"{t.label()} (measured {_shown(t.metric, values.get(t.metric))})"
        for t in row.all_targets(workers)
        if not t.met(values)
    ]
    if not values.get("requests"):
        found.append("no request completed")
    if values.get("errors"):
        found.append(f"{values['errors']:.0f} errors/non-2xx")
    return found


def _shown(metric: str, value: float | None) -> str:
    if value is None:
        return "nothing"
    if metric == "ratio":
        return f"{value:.2f}x"
    if metric == "rps":
        return f"{value:.0f}/s"
    return f"{value:.0f} MiB" if metric == "rss_mib" else f"{value:.1f} ms"
