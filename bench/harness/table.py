"""The printed table, the growth comparison with a 10,000-user run, and the saved results."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.rows import GROWTH_BASE_SCALE, GROWTH_LIMIT, GROWTH_ROWS

COLUMNS = (
    ("request", "<42"),
    ("target", "<30"),
    ("req/s", ">8"),
    ("p50 ms", ">8"),
    ("p90 ms", ">8"),
    ("p99 ms", ">8"),
    ("ref req/s", ">9"),
    ("ratio", ">6"),
    ("RSS MiB", ">7"),
    ("CPU %", ">6"),
    ("errors", ">6"),
    ("", "<4"),
)


def header() -> str:
    return " ".join(f"{name:{spec}}" for name, spec in COLUMNS).rstrip()


def line(result: Mapping[str, Any]) -> str:
    b = result["boundary"]
    ref = result.get("reference")
    cells = (
        result["request"],
        result["target"],
        f"{b['rps']:.0f}",
        f"{b['p50_ms']:.1f}",
        f"{b['p90_ms']:.1f}",
        f"{b['p99_ms']:.1f}",
        f"{ref['rps']:.0f}" if ref else "-",
        f"{result['ratio']:.2f}x" if result.get("ratio") is not None else "-",
        f"{result['rss_mib']:.0f}",
        f"{result['cpu_pct']:.0f}",
        f"{b['errors']:.0f}",
        "PASS" if not result["misses"] else "MISS",
    )
    return " ".join(f"{c:{spec}}" for c, (_, spec) in zip(cells, COLUMNS, strict=True)).rstrip()


def reference_lines(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """The reference runs, so their latencies can be read next to Boundary's."""
    out = []
    for result in results:
        ref = result.get("reference")
        if ref:
            out.append(
                f"{result['request']:<42} {result['reference_app']:<30} {ref['rps']:>8.0f} "
                f"{ref['p50_ms']:>8.1f} {ref['p90_ms']:>8.1f} {ref['p99_ms']:>8.1f} "
                f"{'':>9} {'':>6} {ref['rss_mib']:>7.0f} {ref['cpu_pct']:>6.0f} "
                f"{ref['errors']:>6.0f}"
            )
    return out


def miss_lines(results: Sequence[Mapping[str, Any]]) -> list[str]:
    return [f"MISS {r['request']}: {'; '.join(r['misses'])}" for r in results if r["misses"]]


def growth(
    results: Sequence[Mapping[str, Any]], base: Mapping[str, Any], scale: int
) -> list[dict[str, Any]]:
    """How much slower each list/login row is at `scale` than in the 10,000-user run `base`."""
    then = {r["key"]: r for r in base["rows"]}
    out = []
    for result in results:
        old = then.get(result["key"])
        if result["key"] not in GROWTH_ROWS or old is None or not result["boundary"]["rps"]:
            continue
        slower = old["boundary"]["rps"] / result["boundary"]["rps"]
        out.append(
            {
                "key": result["key"],
                "request": result["request"],
                "base_request": old["request"],
                "rps": result["boundary"]["rps"],
                "base_rps": old["boundary"]["rps"],
                "p50_ms": result["boundary"]["p50_ms"],
                "base_p50_ms": old["boundary"]["p50_ms"],
                "slower": slower,
                "pass": slower <= GROWTH_LIMIT,
                "scale": scale,
            }
        )
    return out


def growth_lines(rows: Sequence[Mapping[str, Any]], base_file: Path) -> list[str]:
    out = [
        f"Growth {rows[0]['scale']:,} / {GROWTH_BASE_SCALE:,} users (base: {base_file.name}; "
        f"target: at most {GROWTH_LIMIT:g}x slower)",
        f"  {'request':<44} {'base req/s':>10} {'req/s':>8} {'base p50':>9} {'p50 ms':>8} "
        f"{'slower':>7}",
    ]
    for g in rows:
        out.append(
            f"  {g['request']:<44} {g['base_rps']:>10.0f} {g['rps']:>8.0f} "
            f"{g['base_p50_ms']:>9.1f} {g['p50_ms']:>8.1f} {g['slower']:>6.2f}x "
            f"{'PASS' if g['pass'] else 'MISS'}"
        )
    return out


def latest_base(results_dir: Path, workers: int) -> tuple[Path, dict[str, Any]] | None:
    """The newest saved 10,000-user run with the same workers and every growth row (else the
    newest with some of them)."""
    partial = None
    for path in sorted(results_dir.glob(f"bench-{GROWTH_BASE_SCALE}-*.json"), reverse=True):
        data = json.loads(path.read_text())
        keys = {r["key"] for r in data.get("rows", [])}
        if data.get("meta", {}).get("workers") != workers:
            continue
        if keys >= set(GROWTH_ROWS):
            return path, data
        if partial is None and keys & set(GROWTH_ROWS):
            partial = path, data
    return partial
