"""`boundary users …` (entry): operator commands on the user module.

Every command calls the same `UserService` methods as the API, with actor None: the audit rows
say actor `cli`. `USER` is an email (any case) or an id; one that names nobody (or, except for
`erase`, a deleted account) is exit 1 with a one-line message.

`create-admin` creates an admin, or promotes the live user with that email (role admin, active
again, sessions revoked, password unchanged). Without `--password-stdin` a new admin (and
`set-password`) gets a generated password, printed once, alone on its own stdout line (an
explanation goes to stderr), so `boundary users create-admin --email E | tail -n 1` captures
it. Logging is capped at errors here so stdout carries only the command's own lines; the
audit row records the action. `erase` asks first on a terminal and refuses without `--yes`
otherwise.

Exit codes (§2): 0 done; 1 runtime failure (database unreachable, migrations pending, an
unknown user, a refusal such as the last active admin or an email held by a deleted account);
2 usage or invalid input (bad email, weak password, `erase` without `--yes`), one line.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from boundary.cli.common import ConfigDirOpt, EnvOpt, fail, load_with_logging

if TYPE_CHECKING:
    from boundary.config.model import Settings
    from boundary.user.core.audit import RequestContext
    from boundary.user.core.model import User, UserFilter
    from boundary.user.shell.module import UserModule

T = TypeVar("T")

users_app = typer.Typer(help="Manage users from the command line.", no_args_is_help=True)

PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
]


class _Failed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@users_app.command(
    "create-admin",
    epilog=(
        "Examples:  boundary users create-admin --email admin@example.com | tail -n 1"
        "  ·  printf '%s\\n' \"$PASSWORD\" | boundary users create-admin"
        " --email admin@example.com --name 'Ops Admin' --password-stdin"
    ),
)
def create_admin(
    email: Annotated[str, typer.Option("--email", help="the admin's email address")],
    name: Annotated[
        str | None, typer.Option("--name", help="display name (default: Administrator)")
    ] = None,
    password_stdin: PasswordStdinOpt = False,
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

    async def work(module: UserModule) -> tuple[User, str | None, str]:
        before = await _existing(module, email)
        user, generated = await module.users.create_admin(email=email, name=name, password=password)
        return user, generated, _outcome(before)

    return await _with_users(settings, work)


async def _with_users(settings: Settings, work: Callable[[UserModule], Awaitable[T]]) -> T:
    """`work` on the user module of a system built for this command (closed after); what can
    go wrong becomes `_Failed` with its one line and exit code."""
    from boundary.db.errors import DatabaseUnavailable
    from boundary.kernel.errors import Conflict
    from boundary.migrations.shell import MigrationError, MigrationRefused, MigrationRunner
    from boundary.system import build_system
    from boundary.user.core.errors import Invalid
    from boundary.user.shell.user_service import AdminRefused

    system = build_system(settings)
    try:
        runner = MigrationRunner(system.database, Path(settings.database.migrations_dir))
        if await runner.pending():
            raise _Failed("migrations pending — run `boundary migrate migrate`", 1)
        return await work(system.user)
    except Invalid as exc:
        errors = "; ".join(f"{e.field} {e.message}" for e in exc.errors)
        raise _Failed(f"invalid input: {errors}", 2) from None
    except Conflict as exc:
        raise _Failed(f"refused: {exc}", 1) from None
    except AdminRefused as exc:
        raise _Failed(str(exc), 1) from None
    except (MigrationError, MigrationRefused, DatabaseUnavailable) as exc:
        raise _Failed(str(exc), 1) from None
    finally:
        await system.aclose()


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


# --- operator commands on one user or the list ------------------------------------------------

UserArg = Annotated[
    str, typer.Argument(metavar="USER", help="the user's email address (any case) or id")
]


class RoleChoice(StrEnum):
    admin = "admin"
    user = "user"
    viewer = "viewer"


class ActiveChoice(StrEnum):
    true = "true"
    false = "false"


_LIST_PAGE = 100


@users_app.command(
    "list",
    epilog=(
        "Examples:  boundary users list  ·  boundary users list --role admin --active true"
        "  ·  boundary users list --q example.com --json"
    ),
)
def list_users(
    role: Annotated[RoleChoice | None, typer.Option("--role", help="only this role")] = None,
    active: Annotated[
        ActiveChoice | None, typer.Option("--active", help="only active (true) or inactive")
    ] = None,
    q: Annotated[
        str | None, typer.Option("--q", help="a substring of the email or the name")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON list instead")] = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """List users (deleted ones never), oldest first.

    One a line, tab-separated: id, email, role, status (active, inactive or locked), name.
    With --json: one JSON list of the API's user objects."""
    from boundary.user.core.model import UserFilter

    where = UserFilter(
        role=None if role is None else role.value,
        active=None if active is None else active is ActiveChoice.true,
        q=q or None,
    )
    settings = _settings(env, config_dir)
    found = _run(settings, lambda module: _all_users(module, where))
    if as_json:
        typer.echo(_json([_user_json(user) for user in found]))
        return
    now = _now()
    for user in found:
        typer.echo("\t".join((str(user.id), user.email, user.role, _status(user, now), user.name)))


@users_app.command(
    "show",
    epilog="Examples:  boundary users show alice@example.com  ·  boundary users show ID --json",
)
def show(
    user: UserArg,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON object instead")] = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Show one user, with its lockout state.

    One `key: value` a line (never the password hash or the MFA secret); --json: one object."""
    settings = _settings(env, config_dir)
    found = _run(settings, lambda module: _live_user(module, user))
    details = _user_json(found, lockout=True)
    if as_json:
        typer.echo(_json(details))
        return
    for key, value in details.items():
        shown = "" if value is None else _text(value)
        typer.echo(f"{key}: {shown}".rstrip())


@users_app.command(
    "set-password",
    epilog=(
        "Examples:  boundary users set-password alice@example.com | tail -n 1"
        "  ·  printf '%s\\n' \"$PASSWORD\" | boundary users set-password alice@example.com"
        " --password-stdin"
    ),
)
def set_password(
    user: UserArg,
    password_stdin: PasswordStdinOpt = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Set a user's password; every session of theirs is revoked.

    Without --password-stdin a password is generated and printed once, alone on the last
    stdout line (the explanation goes to stderr)."""
    password = _read_password() if password_stdin else None

    async def work(module: UserModule) -> tuple[User, str | None]:
        target = await _live_user(module, user)
        return await module.users.set_password(None, target.id, password, _cli_context())

    changed, generated = _run(_settings(env, config_dir), work)
    typer.echo(f"password set: {changed.id} {changed.email} (sessions revoked)")
    if generated is not None:
        typer.echo("generated password (shown once, store it now):", err=True)
        typer.echo(generated)


@users_app.command("unlock", epilog="Example:  boundary users unlock alice@example.com")
def unlock(user: UserArg, env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """End a user's lockout now and clear the failed-login count."""

    async def work(module: UserModule) -> tuple[User, bool]:
        target = await _live_user(module, user)
        return target, await module.users.unlock(None, target.id, _cli_context())

    target, changed = _run(_settings(env, config_dir), work)
    outcome = "unlocked" if changed else "not locked (nothing to clear)"
    typer.echo(f"{outcome}: {target.id} {target.email}")


@users_app.command("deactivate", epilog="Example:  boundary users deactivate alice@example.com")
def deactivate(user: UserArg, env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Deactivate a user, as PATCH {"active": false}.

    They cannot sign in and their sessions end. Refused (exit 1) for the last active admin."""
    _set_active(user, False, env, config_dir)


@users_app.command("activate", epilog="Example:  boundary users activate alice@example.com")
def activate(user: UserArg, env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Activate a user again (as PATCH {"active": true})."""
    _set_active(user, True, env, config_dir)


@users_app.command(
    "revoke-sessions", epilog="Example:  boundary users revoke-sessions alice@example.com"
)
def revoke_sessions(user: UserArg, env: EnvOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Revoke every live session of a user.

    Their access and session tokens stop working on the next request."""

    async def work(module: UserModule) -> tuple[User, int]:
        target = await _live_user(module, user)
        return target, await module.users.revoke_sessions(None, target.id, _cli_context())

    target, revoked = _run(_settings(env, config_dir), work)
    typer.echo(f"sessions revoked: {revoked} ({target.id} {target.email})")


@users_app.command(
    "erase",
    epilog=(
        "Examples:  boundary users erase alice@example.com --yes"
        "  ·  boundary users erase 5f0c2d1e-8a4b-4c3e-9f7a-2b6d8e1c0a93 --yes"
    ),
)
def erase(
    user: UserArg,
    yes: Annotated[bool, typer.Option("--yes", help="erase without asking")] = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Erase a user (a deleted one too); cannot be undone.

    The row is anonymised (email, name, password, MFA), their sessions and backup codes are
    deleted, and the audit rows keep the account under a pseudonymous address; the email can
    be registered again. Without --yes it asks on a terminal, and refuses (exit 2) otherwise.
    Refused (exit 1) for the last active admin."""
    settings = _settings(env, config_dir)
    if not yes:
        _confirm_erase(user)

    async def work(module: UserModule) -> tuple[User, User]:
        target = await _any_user(module, user)
        return target, await module.users.erase(None, target.id, _cli_context())

    target, erased = _run(settings, work)
    typer.echo(f"erased: {target.id} {target.email} (now {erased.email})")


def _confirm_erase(user: str) -> None:
    question = f"erasing {user} cannot be undone"
    if not sys.stdin.isatty():
        fail(f"{question}; re-run with --yes to confirm", 2)
    # Asked on stderr and read here (not `typer.confirm`, which echoes a space to stdout):
    # stdout carries only the outcome line.
    typer.echo(f"{question}. Erase? [y/N]: ", nl=False, err=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        fail("erase cancelled; nothing changed", 1)


def _set_active(user: str, active: bool, env: str | None, config_dir: Path | None) -> None:
    async def work(module: UserModule) -> User:
        target = await _live_user(module, user)
        return await module.users.update(None, target.id, {"active": active}, _cli_context())

    changed = _run(_settings(env, config_dir), work)
    typer.echo(f"{'activated' if active else 'deactivated'}: {changed.id} {changed.email}")


def _run(settings: Settings, work: Callable[[UserModule], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_with_users(settings, work))
    except _Failed as exc:
        fail(str(exc), exc.code)


async def _any_user(module: UserModule, reference: str) -> User:
    """The user `reference` names (deleted ones too); `_Failed` (exit 1) when none."""
    from boundary.user.core.erasure import is_erased

    user = await module.users.find(reference)
    if user is None or is_erased(user):
        raise _Failed(f"no such user: {reference}", 1)
    return user


async def _live_user(module: UserModule, reference: str) -> User:
    """The live (not deleted) user `reference` names; `_Failed` (exit 1) otherwise."""
    user = await _any_user(module, reference)
    if user.deleted_at is not None:
        raise _Failed(f"no such user: {reference} (the account is deleted)", 1)
    return user


async def _all_users(module: UserModule, where: UserFilter) -> list[User]:
    from boundary.kernel.pagination import Window

    found: list[User] = []
    while True:
        page = await module.users.list(where, Window(limit=_LIST_PAGE, offset=len(found)))
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            return found


def _cli_context() -> RequestContext:
    from boundary.user.shell.user_service import CLI

    return CLI


def _user_json(user: User, *, lockout: bool = False) -> dict[str, object]:
    """The API's user JSON (plus, for `show`, the lockout state and deletion time)."""
    from boundary.http.schemas.common import user_json

    data: dict[str, object] = user_json(user)
    if lockout:
        data["failed_login_count"] = user.failed_login_count
        data["lockout_until"] = user.lockout_until
        data["deleted_at"] = user.deleted_at
    return data


def _json(data: object) -> str:
    from boundary.http.schemas.common import json_bytes

    return json_bytes(data).decode()


def _text(value: object) -> str:
    """A value as `show` prints it: times in ISO 8601 UTC, booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _status(user: User, now: datetime) -> str:
    from boundary.user.core.login import is_locked

    if is_locked(user, now):
        return "locked"
    return "active" if user.active else "inactive"


def _now() -> datetime:
    return datetime.now(UTC)
