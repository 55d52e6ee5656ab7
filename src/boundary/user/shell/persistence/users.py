"""`Users` on SQLAlchemy Core (shell): one `AsyncConnection`, inside the caller's transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Executable,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.kernel.pagination import Page
from boundary.user.core.model import User, UserFilter
from boundary.user.ports import EmailTaken
from boundary.user.shell.persistence import listing
from boundary.user.shell.persistence.schema import EMAIL_UNIQUE_INDEX, users
from boundary.user.shell.search_totals import SearchTotals

USER_COLUMNS = tuple(users.c.keys())
_MUTABLE_COLUMNS = tuple(
    key
    for key in USER_COLUMNS
    if key not in ("id", "created_at", "mfa_last_step", "email_verified_at")
)

_SELECT = select(*users.c)
_GET = _SELECT.where(users.c.id == bindparam("user_id"))
# PostgreSQL and SQLite index lower(email); MariaDB cannot, and relies on a case-insensitive
# collation of the email column itself — so MySQL compares the column as it is.
_BY_FOLDED_EMAIL = _SELECT.where(func.lower(users.c.email) == bindparam("email"))
_BY_COLLATED_EMAIL = _SELECT.where(users.c.email == bindparam("email"))
_INSERT = insert(users)
# email_verified_at is never written from the entity (a concurrent verification would be lost),
# only cleared when the email changes. It comes FIRST: MySQL evaluates SET assignments left to
# right, so after `email` it would compare the new address with itself.
_UPDATE = (
    update(users)
    .where(users.c.id == bindparam("target_id"))
    .ordered_values(
        (
            users.c.email_verified_at,
            case(
                (
                    func.lower(users.c.email) == func.lower(bindparam("v_email")),
                    users.c.email_verified_at,
                ),
                else_=None,
            ),
        ),
        *((users.c[key], bindparam(f"v_{key}")) for key in _MUTABLE_COLUMNS),
    )
)
# Compare-and-set: of two requests with the same code, the second UPDATE waits for the first's
# row lock, re-checks the condition on the committed row and changes nothing.
_CLAIM_STEP = (
    update(users)
    .where(
        users.c.id == bindparam("user_id"),
        or_(users.c.mfa_last_step.is_(None), users.c.mfa_last_step < bindparam("step")),
    )
    .values(mfa_last_step=bindparam("step"))
)
# FOR UPDATE (ignored by SQLite, whose write transactions are serialised anyway): a second
# transaction changing admins waits here and then sees the first one's committed result.
_ACTIVE_ADMINS = (
    select(users.c.id)
    .where(
        users.c.role == "admin",
        users.c.active == true(),
        users.c.deleted_at.is_(None),
    )
    .order_by(users.c.id)
    .with_for_update()
)


def user_from_row(row: Sequence[Any]) -> User:
    """A `User` from the values of `USER_COLUMNS`, in that order.

    Spelled out rather than `User(**dict(zip(USER_COLUMNS, row)))`: a page of twenty users
    maps twenty rows, and building the dict and the keyword mapping doubled the cost of each
    (22 → 11 µs measured). It unpacks in the entity's field order, which `_ROW_ORDER` holds
    to the table's."""
    (
        id_,
        email,
        name,
        password_hash,
        role,
        active,
        mfa_enabled,
        mfa_secret,
        mfa_last_step,
        failed_login_count,
        lockout_until,
        login_count,
        last_login,
        created_at,
        updated_at,
        deleted_at,
        email_verified_at,
    ) = row
    return User(
        id=id_,
        email=email,
        name=name,
        password_hash=password_hash,
        role=role,
        active=active,
        mfa_enabled=mfa_enabled,
        mfa_secret=mfa_secret,
        mfa_last_step=mfa_last_step,
        failed_login_count=failed_login_count,
        lockout_until=lockout_until,
        login_count=login_count,
        last_login=last_login,
        created_at=created_at,
        updated_at=updated_at,
        deleted_at=deleted_at,
        email_verified_at=email_verified_at,
    )


_ROW_ORDER = tuple(field.name for field in dataclasses.fields(User))
if _ROW_ORDER != USER_COLUMNS:  # pragma: no cover - a schema change must update both
    raise RuntimeError(f"user_from_row reads {_ROW_ORDER}, the users table has {USER_COLUMNS}")


def is_email_conflict(error: IntegrityError) -> bool:
    """Whether `error` is a violation of the unique email index (on any dialect)."""
    orig = error.orig
    cause = getattr(orig, "__cause__", None)
    constraint = getattr(orig, "constraint_name", None) or getattr(cause, "constraint_name", None)
    if constraint is not None:  # asyncpg names the constraint
        return bool(constraint == EMAIL_UNIQUE_INDEX)
    # MySQL "… for key 'users_email_key'" (MySQL 8: 'users.users_email_key'), SQLite
    # "UNIQUE constraint failed: index 'users_email_key'": the name ends the message.
    message = str(orig.args[-1] if orig is not None and orig.args else orig).rstrip()
    return message.endswith((f"'{EMAIL_UNIQUE_INDEX}'", f".{EMAIL_UNIQUE_INDEX}'"))


def _search_view(user: User) -> tuple[object, ...]:
    """What of a user the listing's searches filter on (its q, role and active filters, and
    whether it is live)."""
    return (user.email, user.name, user.role, user.active, user.deleted_at)


class SqlUsers:
    """Users in the `users` table; the ids of users it changes go into `changed` (the unit
    of work tells the cache of sessions and users after its commit), and `listed` is told
    when it adds a user or saves a change a listing search sees (the unit of work tells the
    cache of search totals after its commit)."""

    def __init__(
        self,
        conn: AsyncConnection,
        changed: set[UUID] | None = None,
        *,
        listed: Callable[[], None] | None = None,
        totals: SearchTotals | None = None,
    ) -> None:
        self._conn = conn
        self._changed = set() if changed is None else changed
        self._listed = listed
        self._totals = totals
        self._read: dict[UUID, User] = {}
        self._by_email = _BY_COLLATED_EMAIL if conn.dialect.name == "mysql" else _BY_FOLDED_EMAIL

    async def add(self, user: User) -> None:
        if self._listed is not None:
            self._listed()
        await self._write(_INSERT, {key: getattr(user, key) for key in USER_COLUMNS}, user.email)

    async def _write(self, statement: Executable, values: dict[str, Any], email: str) -> None:
        """Run an insert or update in a savepoint: after `EmailTaken` the unit of work stays
        usable on every database (PostgreSQL would otherwise abort the whole transaction)."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(statement, values)
        except IntegrityError as error:
            if is_email_conflict(error):
                raise EmailTaken(email) from error
            raise

    async def get(self, user_id: UUID) -> User | None:
        row = (await self._conn.execute(_GET, {"user_id": user_id})).first()
        return self._remember(row)

    async def by_email(self, email: str) -> User | None:
        row = (await self._conn.execute(self._by_email, {"email": email.lower()})).first()
        return self._remember(row)

    def _remember(self, row: Sequence[Any] | None) -> User | None:
        """The user read, kept so that `save` can tell whether a search would see a change."""
        if row is None:
            return None
        user = user_from_row(row)
        self._read[user.id] = user
        return user

    async def save(self, user: User) -> None:
        """Update inside a savepoint, like `add`: a changed email may be taken."""
        values: dict[str, Any] = {f"v_{key}": getattr(user, key) for key in _MUTABLE_COLUMNS}
        self._changed.add(user.id)
        before = self._read.get(user.id)
        if self._listed is not None and (
            before is None or _search_view(before) != _search_view(user)
        ):
            self._listed()
        self._read[user.id] = user
        await self._write(_UPDATE, {**values, "target_id": user.id}, user.email)

    async def claim_totp_step(self, user_id: UUID, step: int) -> bool:
        self._changed.add(user_id)
        result = await self._conn.execute(_CLAIM_STEP, {"user_id": user_id, "step": step})
        return bool(result.rowcount == 1)

    async def active_admin_ids(self) -> frozenset[UUID]:
        rows = await self._conn.execute(_ACTIVE_ADMINS)
        return frozenset(row[0] for row in rows)

    async def search(self, where: UserFilter, *, limit: int, offset: int) -> Page[User]:
        """In list_seq (registration) order; see `listing` for how totals and deep offsets
        stay cheap."""
        return await listing.search(
            self._conn, where, user_from_row, limit=limit, offset=offset, totals=self._totals
        )
