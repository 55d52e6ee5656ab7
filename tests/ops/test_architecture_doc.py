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


def test_every_file_in_the_behaviour_table_exists() -> None:
    """The "Find a behaviour" table names files relative to src/boundary (globs allowed)."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Find a behaviour", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`([a-z_/*]+\.py)`", table)
    assert len(named) > 40
    package = ROOT / "src" / "boundary"
    missing = [path for path in named if not list(package.glob(path))]
    assert not missing, f"the behaviour table names files that do not exist: {missing}"
