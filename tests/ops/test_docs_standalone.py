"""README and docs stand alone: a user who cloned the repository has no `../shared` and no
contract sections to look up."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("../shared", "shared/CONTRACT", "shared/ARCHITECTURE", "shared/seeds", "§")


def test_readme_and_docs_point_only_inside_the_repository() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    assert len(pages) >= 2  # the README and at least the operations guide were read
    found = [
        f"{page.relative_to(ROOT)}:{number}: {line.strip()}"
        for page in pages
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if any(marker in line for marker in OUTSIDE)
    ]
    assert not found, "\n".join(found)
