"""`build_system`'s replaceable parts: named, checked, and able to turn error reporting off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from boundary.config.shell import load_config
from boundary.system import build_system
from tests.fakes.observability import RecordingReporter

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
DSN = "https://public@o0.ingest.sentry.io/0"


def settings_with(**environ: str) -> Any:
    env = {"DATABASE_URL": "sqlite:///:memory:", **environ}
    return load_config(env="test", config_dir=ROOT / "config", environ=env).settings


async def test_error_reporter_none_turns_reporting_off_despite_a_dsn() -> None:
    """With a DSN configured, `error_reporter=None` means no Sentry and no alarm on it."""
    system = build_system(settings_with(SENTRY_DSN=DSN), error_reporter=None)
    try:
        assert system.error_reporter is None
        assert system.failed_logins is None
    finally:
        await system.aclose()


async def test_a_given_error_reporter_replaces_the_configured_one() -> None:
    reporter = RecordingReporter()
    system = build_system(settings_with(SENTRY_DSN=DSN), error_reporter=reporter)
    try:
        assert system.error_reporter is reporter
        assert system.failed_logins is not None  # the alarm reports through it
    finally:
        await system.aclose()


def test_a_misspelt_override_is_refused() -> None:
    overrides: dict[str, Any] = {"metric": object()}
    with pytest.raises(TypeError, match="metric"):
        build_system(settings_with(), **overrides)
