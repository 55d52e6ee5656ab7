"""`System.aclose`: every shutdown hook runs, even after one that fails or hangs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from boundary.config.shell import load_config
from boundary.system import build_system

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


async def test_a_hanging_hook_is_cut_and_the_hooks_before_it_still_run(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'shutdown.db'}"}
    settings = load_config(env="test", config_dir=ROOT / "config", environ=env).settings
    system = build_system(settings)
    system.shutdown_hook_timeout = 0.2
    ran: list[str] = []

    async def first_registered() -> None:  # runs last: hooks run in reverse order
        ran.append("first")

    async def hangs() -> None:
        ran.append("hangs")
        await asyncio.Event().wait()

    async def fails() -> None:
        ran.append("fails")
        raise RuntimeError("release failed")

    system.shutdown_hooks[:0] = [first_registered, hangs, fails]
    await asyncio.wait_for(system.aclose(), 30)
    assert ran == ["fails", "hangs", "first"]
