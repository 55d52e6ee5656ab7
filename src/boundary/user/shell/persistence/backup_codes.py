"""`BackupCodes` on SQLAlchemy Core (shell): one `AsyncConnection`, inside the caller's
transaction (or a reader's connection, for `unused`).

Each code row gets a new random id (uuid4) here: the port passes only hashes, and the id is a
storage key that no rule decides or compares — like the audit log's sequence numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.user.shell.persistence.schema import mfa_backup_codes

_codes = mfa_backup_codes.c

_DELETE_FOR_USER = delete(mfa_backup_codes).where(_codes.user_id == bindparam("owner"))
_INSERT = insert(mfa_backup_codes)
_UNUSED = select(_codes.code_hash, _codes.id).where(
    _codes.user_id == bindparam("owner"), _codes.used_at.is_(None)
)
# The `used_at IS NULL` condition makes spending a code a compare-and-set: of two concurrent
# logins with the same code, the second UPDATE waits for the first's row lock, re-checks the
# condition after it commits and changes nothing.
_USE = (
    update(mfa_backup_codes)
    .where(_codes.id == bindparam("code_id"), _codes.used_at.is_(None))
    .values(used_at=bindparam("now"))
)


class SqlBackupCodes:
    """A user's backup codes in the `mfa_backup_codes` table."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def replace(self, user_id: UUID, code_hashes: Sequence[str], now: datetime) -> None:
        """One DELETE, then one executemany INSERT of the new rows (skipped for no codes)."""
        await self._conn.execute(_DELETE_FOR_USER, {"owner": user_id})
        if code_hashes:
            rows = [
                {"id": uuid4(), "user_id": user_id, "code_hash": code_hash, "created_at": now}
                for code_hash in code_hashes
            ]
            await self._conn.execute(_INSERT, rows)

    async def unused(self, user_id: UUID) -> dict[str, UUID]:
        rows = await self._conn.execute(_UNUSED, {"owner": user_id})
        return {code_hash: code_id for code_hash, code_id in rows}

    async def use(self, code_id: UUID, now: datetime) -> bool:
        result = await self._conn.execute(_USE, {"code_id": code_id, "now": now})
        return result.rowcount == 1
