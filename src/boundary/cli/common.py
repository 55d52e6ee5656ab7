"""What every `boundary` command shares (entry): the `--env` / `--config-dir` options, loading
the configuration, and the one-line failure with its exit code (0 success, 1 runtime
failure, 2 usage or configuration error).

A failure is one line on stderr: `boundary: <message>`, or — where the logs are JSON (prod's
default, or `logging.format = "json"`) — one JSON object shaped like a log record (`timestamp`,
`level` "error", `message`, `service`, `logger` "boundary.cli", `exit-code`), so that every
line such a process prints is JSON. Before the configuration is loaded (usage and
configuration errors) the environment decides: `ENV`/`--env` prod, or `LOG_FORMAT=json`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, NoReturn

import orjson
import typer

if TYPE_CHECKING:
    from boundary.config.shell import LoadedConfig

EnvOpt = Annotated[
    str | None, typer.Option("--env", help="dev|test|prod (default: $ENV, else dev)")
]
ConfigDirOpt = Annotated[
    Path | None, typer.Option("--config-dir", help="default: $BOUNDARY_CONFIG_DIR, else config/")
]


_FAILURE_FORMAT: dict[str, str | None] = {"format": None, "service": None}
"""The log format and service name of the loaded configuration (None until it is loaded)."""
CLI_LOGGER: Final = "boundary.cli"
DEFAULT_SERVICE: Final = "boundary-api"
"""The service name of failures before the configuration names one (the setting's default)."""


def fail(message: str, code: int = 2) -> NoReturn:
    """Print the one-line failure to stderr and exit with `code`."""
    report_failure(f"boundary: {message}", code)
    raise typer.Exit(code)


def report_failure(line: str, code: int, *, env: str | None = None) -> None:
    """Write a failure line to stderr: as it is, or as one JSON record where logs are JSON."""
    if not _json_failures(env):
        print(line, file=sys.stderr)
        return
    from boundary.observability.logging.core import build_record, json_timestamp

    service = _FAILURE_FORMAT["service"] or DEFAULT_SERVICE
    record = build_record(
        {"event": line, "logger": CLI_LOGGER, "exit-code": code},
        level="error",
        timestamp=json_timestamp(datetime.now(UTC)),
        service=service,
    )
    print(orjson.dumps(record, default=str).decode(), file=sys.stderr)


def use_log_format(log_format: str, service: str) -> None:
    """Failures from now on follow the configured log format (called once settings load)."""
    _FAILURE_FORMAT["format"] = log_format
    _FAILURE_FORMAT["service"] = service


def _json_failures(env: str | None) -> bool:
    configured = _FAILURE_FORMAT["format"]
    if configured is not None:
        return configured == "json"
    from boundary.config.core import normalize_environment

    if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
        return True
    return normalize_environment(env or os.environ.get("ENV", "")) == "prod"


def load(
    env: str | None, config_dir: Path | None, overrides: dict[str, object] | None = None
) -> LoadedConfig:
    """The configuration, or exit 2 with the error's one-line message."""
    from boundary.config.shell import ConfigError, load_config

    try:
        loaded = load_config(env=env, config_dir=config_dir, overrides=overrides or {})
    except ConfigError as exc:
        report_failure(f"boundary: configuration error: {exc}", 2, env=env)
        raise typer.Exit(2) from None
    use_log_format(loaded.settings.logging.format, loaded.settings.metrics.service)
    return loaded


def load_with_logging(
    env: str | None, config_dir: Path | None, *, level: str | None = None
) -> LoadedConfig:
    """`load`, then logging set up as configured (or at `level`, for commands whose own output
    must not be interleaved with the services' log lines)."""
    from boundary.observability.logging import configure_logging

    loaded = load(env, config_dir)
    settings = loaded.settings
    configure_logging(
        level=level or settings.logging.level,
        fmt=settings.logging.format,
        service=settings.metrics.service,
    )
    return loaded
