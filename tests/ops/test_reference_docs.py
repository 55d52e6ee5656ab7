"""The repository documents itself and the documents cannot drift: docs/api.md,
docs/configuration.md and docs/cli.md are regenerated from the OpenAPI document, the settings
model and the CLI by the commands they name, and must equal what is committed; and a fresh
clone of the repository alone resolves every relative link of the README and docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from boundary.config.model import SECTIONS, Settings
from boundary.config.reference import MEANINGS
from tests.support.process import ROOT, base_env, run_cli

pytestmark = pytest.mark.e2e

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def regenerated(command: list[str]) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=base_env({"ENV": "dev"}), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_current(name: str, fresh: str, command: str) -> None:
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == fresh, f"docs/{name} is out of date: run `{command}` and commit it"


def test_api_reference_is_current() -> None:
    fresh = regenerated([sys.executable, "-m", "boundary.http.api_reference"])
    assert "### `POST /api/v1/auth/login`" in fresh
    assert_current("api.md", fresh, "python -m boundary.http.api_reference > docs/api.md")


def test_configuration_reference_is_current_and_explains_every_key() -> None:
    result = run_cli("config", "docs")
    assert result.returncode == 0, result.stderr
    assert_current(
        "configuration.md", result.stdout, "boundary config docs > docs/configuration.md"
    )
    keys = {f"settings.{n}" for n in Settings.model_fields if n not in SECTIONS} | {
        f"{section}.{field}" for section, model in SECTIONS.items() for field in model.model_fields
    }
    assert set(MEANINGS) == keys
    assert all(f"| `{key}` |" in result.stdout for key in keys)


def test_cli_reference_is_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    typer = Path(sys.executable).parent / "typer"
    command = [str(typer), "boundary.cli.app", "utils", "docs", "--name", "boundary"]
    regenerated([*command, "--output", str(out)])
    assert "## `boundary migrate rollback`" in out.read_text(encoding="utf-8")
    assert_current(
        "cli.md",
        out.read_text(encoding="utf-8"),
        "typer boundary.cli.app utils docs --name boundary --output docs/cli.md",
    )


def test_a_fresh_clone_resolves_every_relative_link(tmp_path: Path) -> None:
    """Cloned alone (no sibling directories), every relative link of README.md and docs/*.md
    names a file or directory of the repository."""
    clone = tmp_path / "boundary"
    done = subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages = [clone / "README.md", *sorted((clone / "docs").glob("*.md"))]
    assert len(pages) >= 4, pages
    checked, broken = 0, []
    for page in pages:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            resolved = (page.parent / path).resolve()
            checked += 1
            if not resolved.is_relative_to(clone.resolve()) or not resolved.exists():
                broken.append(f"{page.relative_to(clone)}: {target}")
    assert checked > 0
    assert not broken, "\n".join(broken)
