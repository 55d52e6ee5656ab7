"""What every `boundary` command shares (entry): the `--env` / `--config-dir` options, loading
the configuration, and the one-line failure with its exit code (0 success, 1 runtime
failure, 2 usage or configuration error)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from boundary.config.shell import LoadedConfig

EnvOpt = Annotated[
    str | None, typer.Option("--env", help="dev|test|prod (default: $ENV, else dev)")
]
ConfigDirOpt = Annotated[
    Path | None, typer.Option("--config-dir", help="default: $BOUNDARY_CONFIG_DIR, else config/")
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit with `code`."""
    typer.echo(f"boundary: {message}", err=True)
    raise typer.Exit(code)


def load(
    env: str | None, config_dir: Path | None, overrides: dict[str, object] | None = None
) -> LoadedConfig:
    """The configuration, or exit 2 with the error's one-line message."""
    from boundary.config.shell import ConfigError, load_config

    try:
        return load_config(env=env, config_dir=config_dir, overrides=overrides or {})
    except ConfigError as exc:
        fail(f"configuration error: {exc}")


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
