"""docs/architecture.md describes the tree as it is: every path it names exists, and every
top-level package and module under src/boundary is mentioned."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"`(src/boundary/[^`]*)`")


def test_every_named_path_exists() -> None:
    named = PATH.findall(DOC.read_text(encoding="utf-8"))
    assert len(named) > 20
    missing = [path for path in named if not (ROOT / path).exists()]
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_top_level_package_and_module_is_mentioned() -> None:
    named = set(PATH.findall(DOC.read_text(encoding="utf-8")))
    package = ROOT / "src" / "boundary"
    tops = [
        p
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py"))
    ]
    assert len(tops) > 10
    missing = [
        p.name for p in tops if not any(path.startswith(f"src/boundary/{p.name}") for path in named)
    ]
    assert not missing, f"docs/architecture.md does not mention: {missing}"
