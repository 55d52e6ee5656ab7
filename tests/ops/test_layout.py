"""The layout rules a reader relies on, checked on the source: ports live in `ports.py`.

A `typing.Protocol` in a service or infrastructure package is a port — what that package needs
from the outside world — and belongs in its package's `ports.py`, where a reader looks for it.
The web, server and CLI adapters may keep a narrow structural type beside its one user.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "boundary"
ADAPTERS = ("http", "server", "cli")
VIEWS = {
    # The fields of `ops.core.CheckResult` that the health gauges read: the shape of a value,
    # not a service of the outside world (importing `ops` here would make a package cycle).
    "observability/metrics/shell/health.py": ["CheckOutcome"],
}


def protocols(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base) for base in node.bases]
            if any(base == "Protocol" or base.startswith("Protocol[") for base in bases):
                found.append(node.name)
    return found


def test_ports_live_in_ports_modules() -> None:
    everywhere = {
        path.relative_to(PACKAGE).as_posix(): names
        for path in sorted(PACKAGE.rglob("*.py"))
        if (names := protocols(path))
    }
    # The scan must see the ports it is about, or it would pass vacuously.
    assert "Users" in everywhere["user/ports.py"]
    misplaced = {
        path: names
        for path, names in everywhere.items()
        if Path(path).name != "ports.py"
        and path.split("/")[0] not in ADAPTERS
        and VIEWS.get(path) != names
    }
    assert not misplaced, f"ports outside a ports.py module: {misplaced}"
