"""`boundary users …` (entry): operator commands on the user module.

`create-admin` creates an admin, or promotes the live user with that email (role admin, active
again, sessions revoked, password unchanged). Without `--password-stdin` a new admin gets a
generated password, printed once, alone on its own stdout line (an explanation goes to stderr),
so `boundary users create-admin --email E | tail -n 1` captures it. Logging is capped at
warnings here so stdout carries only the command's own lines; the audit row records the action.

Exit codes (§2): 0 done; 1 runtime failure (database unreachable, migrations pending, the email
held by a deleted account); 2 usage or invalid input (bad email, weak password), one line.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boundary.cli.common import ConfigDirOpt, EnvOpt, fail, load_with_logging

if TYPE_CHECKING:
    from boundary.config.model import Settings
    from boundary.user.core.model import User
    from boundary.user.shell.module import UserModule

users_app = typer.Typer(help="Manage users from the command line.", no_args_is_help=True)


class _Failed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option("--email", help="the admin's email address")],
    name: Annotated[
        str | None, typer.Option("--name", help="display name (default: Administrator)")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="read the password from the first line of stdin"),
    ] = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Create an admin (or promote an existing user); prints a generated password once."""
    password = _read_password() if password_stdin else None
    settings = _settings(env, config_dir)
    try:
        user, generated, outcome = asyncio.run(_create_admin(settings, email, name, password))
    except _Failed as exc:
        fail(str(exc), exc.code)
    typer.echo(f"{outcome}: {user.id} {user.email}")
    if outcome != "admin created" and password is not None:
        typer.echo("note: existing user; the password was left unchanged", err=True)
    if generated is not None:
        typer.echo("generated password (shown once, store it now):", err=True)
        typer.echo(generated)


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        fail("--password-stdin: no password on stdin", 2)
    return password


def _settings(env: str | None, config_dir: Path | None) -> Settings:
    # The command reports its own outcome in one line; the service's warnings (an operation
    # refused for invalid input) would only repeat it on stdout.
    return load_with_logging(env, config_dir, level="error").settings


async def _create_admin(
    settings: Settings, email: str, name: str | None, password: str | None
) -> tuple[User, str | None, str]:
    """(user, generated password, what happened: created, promoted or already an admin)."""
    from boundary.db.errors import DatabaseUnavailable
    from boundary.migrations.shell import MigrationError, MigrationRefused, MigrationRunner
    from boundary.system import build_system
    from boundary.user.core.errors import Invalid
    from boundary.user.shell.user_service import AdminRefused

    system = build_system(settings)
    try:
        runner = MigrationRunner(system.database, Path(settings.database.migrations_dir))
        if await runner.pending():
            raise _Failed("migrations pending — run `boundary migrate migrate`", 1)
        before = await _existing(system.user, email)
        user, generated = await system.user.users.create_admin(
            email=email, name=name, password=password
        )
    except Invalid as exc:
        errors = "; ".join(f"{e.field} {e.message}" for e in exc.errors)
        raise _Failed(f"invalid input: {errors}", 2) from None
    except AdminRefused as exc:
        raise _Failed(str(exc), 1) from None
    except (MigrationError, MigrationRefused, DatabaseUnavailable) as exc:
        raise _Failed(str(exc), 1) from None
    finally:
        await system.aclose()
    return user, generated, _outcome(before)


async def _existing(module: UserModule, email: str) -> User | None:
    """The account the email names now (to tell creation from promotion in the output)."""
    from boundary.user.core.validation import normalize_email

    address = normalize_email(email)
    if not isinstance(address, str):
        return None
    async with module.deps.readers() as read:
        return await read.users.by_email(address)


def _outcome(before: User | None) -> str:
    if before is None:
        return "admin created"
    if before.role == "admin" and before.active:
        return "already an admin"
    return "promoted to admin"
