"""The `boundary` command line (entry): parse, call the shell, map outcomes to exit codes.

Exit codes (§2): 0 success, 1 runtime failure, 2 usage or configuration error with a
one-line message naming the problem.
"""

from __future__ import annotations

import os
import secrets
import sys
import urllib.error
import urllib.request
from typing import Annotated

import typer
from typer._click import exceptions as click_exceptions

from boundary import __version__
from boundary.cli.common import ConfigDirOpt, EnvOpt, fail, load, report_failure
from boundary.cli.mail import mail_app
from boundary.cli.migrate import migrate_app
from boundary.cli.users import users_app

app = typer.Typer(
    name="boundary",
    help="Boundary: users/authentication API service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect and validate configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(migrate_app, name="migrate")
app.add_typer(users_app, name="users")
app.add_typer(mail_app, name="mail")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"boundary {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Boundary: users/authentication API service."""


@config_app.command("docs")
def config_docs() -> None:
    """Print the configuration reference (docs/configuration.md) from the settings model."""
    from boundary.config.reference import configuration_markdown

    typer.echo(configuration_markdown(), nl=False)


@app.command()
def serve(
    env: EnvOpt = None,
    host: Annotated[str | None, typer.Option(help="API listener host")] = None,
    port: Annotated[int | None, typer.Option(help="API listener port")] = None,
    ops_port: Annotated[int | None, typer.Option("--ops-port", help="ops listener port")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes")] = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Run the API listener and the ops listener until SIGTERM/SIGINT."""
    flags = {"http.host": host, "http.port": port, "ops.port": ops_port, "http.workers": workers}
    loaded = load(env, config_dir, {k: v for k, v in flags.items() if v is not None})
    from boundary.server.serve import serve as run_serve

    raise typer.Exit(run_serve(loaded))


@config_app.command("check")
def config_check(env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Load and validate the configuration of the selected environment (exit 0 or 2)."""
    loaded = load(env, config_dir)
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"configuration ok: environment {loaded.settings.environment}")


@config_app.command("show")
def config_show(env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Print the effective configuration: key, value, source; secrets redacted."""
    from boundary.config.shell import show_lines

    loaded = load(env, config_dir)
    for line in show_lines(loaded):
        typer.echo(line)


@app.command()
def health(
    url: Annotated[str | None, typer.Option(help="full URL to probe")] = None,
    timeout: Annotated[float, typer.Option(help="seconds")] = 3.0,
) -> None:
    """Probe readiness (default: the local ops listener); exit 0 when ready, 1 otherwise."""
    target = url or _default_health_url()
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        fail(f"health: {target}: {getattr(exc, 'reason', exc)}", code=1)
    typer.echo(f"{target}: {status}")
    raise typer.Exit(0 if status == 200 else 1)


def _default_health_url() -> str:
    from boundary.config.shell import ConfigError, load_config

    try:
        port = load_config().settings.ops.port
    except ConfigError:  # a probe must still find the listener: OPS_PORT, else the default
        raw = os.environ.get("OPS_PORT", "")
        port = int(raw) if raw.isdigit() else 9203
    return f"http://127.0.0.1:{port}/health/ready"


@app.command()
def secret() -> None:
    """Print a new 64-character hex secret (for JWT_SECRET, SESSION_SECRET)."""
    typer.echo(secrets.token_hex(32))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    command = typer.main.get_command(app)
    try:
        result = command.main(prog_name="boundary", standalone_mode=False)
    except KeyboardInterrupt:
        sys.exit(1)
    except typer.Abort:
        report_failure("boundary: aborted", 1)
        sys.exit(1)
    except click_exceptions.NoArgsIsHelpError as exc:
        # `boundary` or `boundary users` alone: the help, as the user asked for nothing else.
        print(exc.ctx.get_help() if exc.ctx else str(exc), file=sys.stderr)
        sys.exit(2)
    except click_exceptions.UsageError as exc:
        # One line on stderr, exit 2 (§2), instead of the framework's boxed usage block.
        where = f"boundary {exc.ctx.command_path.partition(' ')[2]}".strip() if exc.ctx else ""
        report_failure(f"{where or 'boundary'}: {exc.format_message()} (see --help)", 2)
        sys.exit(2)
    except click_exceptions.ClickException as exc:
        report_failure(f"boundary: {exc.format_message()}", exc.exit_code)
        sys.exit(exc.exit_code)
    if isinstance(result, int) and result:
        sys.exit(result)
