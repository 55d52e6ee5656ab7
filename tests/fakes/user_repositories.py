"""In-memory fakes of the user ports: `Users`, `Sessions`, `AuditLog`, `BackupCodes`, the unit
of work and the readers.

`FakeUserStore` holds the committed rows; `store.unit_of_work` is a `UnitOfWorkFactory`. A unit
reads a snapshot taken when it is entered and keeps its writes to itself; `commit()` applies
the rows it wrote to the store (row by row, so concurrent units do not wipe each other out).
Leaving without commit — or with an exception — discards them, like a rollback. Audit ids come
from a store-wide counter, as from a database sequence (rolled-back ids leave gaps).
`store.readers` is a `ReadersFactory`: the repositories over the committed rows as they are at
each call, refusing writes.

Row locks are modelled where a service relies on them: `BackupCodes.use` holds the code's row,
`Users.claim_totp_step` the user's row and `Users.active_admin_ids` the admins' rows until the
unit ends; a concurrent unit doing the same waits for that, then sees the rows as committed —
the code spent, the step taken, the admin demoted — if the first unit committed.

The fakes keep the adapters' rules (case-insensitive unique emails, soft-deleted users kept but
not listed, orderings — users are listed in the order they were added, as by `users.list_seq` —,
aware timestamps only) and pass the same contract suite as the SQL
adapters: `tests/contract/test_user_repositories.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID, uuid4

from boundary.kernel.pagination import Page
from boundary.user.core.model import AuditEvent, AuditFilter, Session, User, UserFilter
from boundary.user.ports import AuditLog, BackupCodes, EmailTaken, Sessions, Users

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BackupCodeRow:
    """A row of the fake `mfa_backup_codes` table."""

    id: UUID
    user_id: UUID
    code_hash: str
    used_at: datetime | None
    created_at: datetime


class FakeUserStore:
    """The committed state of the fake user tables; `unit_of_work` and `readers` are the
    factories to inject."""

    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}
        self.sessions: dict[UUID, Session] = {}
        self.audit_events: list[AuditEvent] = []
        self.backup_codes: dict[UUID, BackupCodeRow] = {}
        self.row_locks: dict[Hashable, tuple[_Work, asyncio.Event]] = {}
        self.commits = 0
        self.forgotten: list[tuple[UUID, str]] = []
        """(user id, email) of every committed `forget_elsewhere`: what other modules drop."""
        self.list_seq: dict[UUID, int] = {}
        self._last_audit_id = 0
        self._last_list_seq = 0

    def unit_of_work(self) -> FakeUnitOfWork:
        """A new unit of work: this method is a `UnitOfWorkFactory`."""
        return FakeUnitOfWork(self)

    def readers(self) -> FakeReaders:
        """New readers: this method is a `ReadersFactory`."""
        return FakeReaders(self)

    async def seed(self, user: User, *sessions: Session) -> User:
        """Commit `user` and their `sessions` through a unit of work, as a test's given."""
        async with self.unit_of_work() as unit:
            await unit.users.add(user)
            for session in sessions:
                await unit.sessions.add(session)
            await unit.commit()
        return user

    def next_audit_id(self) -> int:
        self._last_audit_id += 1
        return self._last_audit_id

    def number_user(self, user_id: UUID) -> None:
        """Give a user added now its place in the listing, as `users.list_seq` is handed out
        at insert time (a rolled-back add leaves a gap; a user keeps its number)."""
        self._last_list_seq += 1
        self.list_seq[user_id] = self._last_list_seq


class _Work:
    """One unit's view: a snapshot of the store plus what the unit wrote — or, for readers
    (`live`), the store's own rows, read-only."""

    def __init__(self, store: FakeUserStore, *, live: bool = False) -> None:
        self.store = store
        self.live = live
        self.users = store.users if live else dict(store.users)
        self.sessions = store.sessions if live else dict(store.sessions)
        self.audit = store.audit_events if live else list(store.audit_events)
        self.codes = store.backup_codes if live else dict(store.backup_codes)
        self.written_users: set[UUID] = set()
        self.written_sessions: set[UUID] = set()
        self.deleted_sessions: set[UUID] = set()
        self.written_codes: set[UUID] = set()
        self.deleted_codes: set[UUID] = set()
        self.appended: list[AuditEvent] = []
        self.rewritten_audit = False
        self.locked_rows: list[Hashable] = []

    def writable(self) -> None:
        if self.live:
            raise RuntimeError("a write on readers: readers never write")

    def put_user(self, user: User) -> None:
        self.writable()
        self.users[user.id] = user
        self.written_users.add(user.id)

    def put_session(self, session: Session) -> None:
        self.writable()
        self.sessions[session.id] = session
        self.written_sessions.add(session.id)

    def delete_session(self, session_id: UUID) -> None:
        self.writable()
        del self.sessions[session_id]
        self.written_sessions.discard(session_id)
        self.deleted_sessions.add(session_id)

    def put_event(self, event: AuditEvent) -> None:
        self.writable()
        self.audit.append(event)
        self.appended.append(event)

    def put_code(self, code: BackupCodeRow) -> None:
        self.writable()
        self.codes[code.id] = code
        self.written_codes.add(code.id)
        self.deleted_codes.discard(code.id)

    def delete_code(self, code_id: UUID) -> None:
        self.writable()
        del self.codes[code_id]
        self.written_codes.discard(code_id)
        self.deleted_codes.add(code_id)

    def latest_code(self, code_id: UUID) -> BackupCodeRow | None:
        """The row an UPDATE would see: this unit's own version, else the committed one."""
        if code_id in self.written_codes or code_id in self.deleted_codes:
            return self.codes.get(code_id)
        return self.store.backup_codes.get(code_id)

    def latest_user(self, user_id: UUID) -> User | None:
        """The user row a locking read or an UPDATE would see: this unit's own version, else
        the committed one."""
        if user_id in self.written_users:
            return self.users.get(user_id)
        return self.store.users.get(user_id)

    async def lock_row(self, key: Hashable) -> None:
        """Wait while another unit holds the row `key`, then hold it until this unit ends."""
        locks = self.store.row_locks
        while (held := locks.get(key)) is not None and held[0] is not self:
            await held[1].wait()
        if held is None:
            locks[key] = (self, asyncio.Event())
            self.locked_rows.append(key)

    def apply(self) -> None:
        """Write this unit's rows to the store; the unit goes on from the new state."""
        store = self.store
        store.users.update((key, self.users[key]) for key in self.written_users)
        store.sessions.update((key, self.sessions[key]) for key in self.written_sessions)
        for key in self.deleted_sessions:
            store.sessions.pop(key, None)
        if self.rewritten_audit:  # the unit's whole view: rewritten rows plus its own
            store.audit_events[:] = self.audit
        else:
            store.audit_events.extend(self.appended)
        store.backup_codes.update((key, self.codes[key]) for key in self.written_codes)
        for key in self.deleted_codes:
            store.backup_codes.pop(key, None)
        self.written_users.clear()
        self.written_sessions.clear()
        self.deleted_sessions.clear()
        self.appended.clear()
        self.rewritten_audit = False
        self.written_codes.clear()
        self.deleted_codes.clear()

    def release(self) -> None:
        """End of the transaction: let units waiting for this one's rows go on."""
        for key in self.locked_rows:
            _, released = self.store.row_locks.pop(key)
            released.set()
        self.locked_rows.clear()


E = TypeVar("E", User, Session, AuditEvent)


def _stored(entity: E) -> E:
    """The entity as the SQL adapters store it: naive datetimes refused, aware ones in UTC."""
    changes: dict[str, Any] = {}
    for item in dataclasses.fields(entity):
        value = getattr(entity, item.name)
        if isinstance(value, datetime):
            utc = _utc(value, item.name)
            if utc is not value:
                changes[item.name] = utc
    return dataclasses.replace(entity, **changes) if changes else entity


def _utc(value: datetime, name: str) -> datetime:
    """`value` in UTC, as the SQL adapters store timestamps; a naive one is refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime in {name}: timestamps must be aware")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _by_creation(row: User | Session | AuditEvent) -> tuple[datetime, Any]:
    """The SQL adapters' order: created_at, then id."""
    return (row.created_at, row.id or 0)


def _page(
    items: Iterable[T], key: Callable[[T], Any], *, limit: int, offset: int, newest: bool
) -> Page[T]:
    ordered = sorted(items, key=key, reverse=newest)
    return Page(items=tuple(ordered[offset : offset + max(limit, 0)]), total=len(ordered))


class FakeUsers:
    def __init__(self, work: _Work) -> None:
        self._work = work

    def _email_owner(self, email: str) -> User | None:
        folded = email.lower()
        return next((u for u in self._work.users.values() if u.email.lower() == folded), None)

    async def add(self, user: User) -> None:
        user = _stored(user)
        if self._email_owner(user.email) is not None:
            raise EmailTaken(user.email)
        if user.id in self._work.users:
            raise KeyError(f"user {user.id} exists")  # the primary key
        self._work.store.number_user(user.id)
        self._work.put_user(user)

    async def get(self, user_id: UUID) -> User | None:
        return self._work.users.get(user_id)

    async def by_email(self, email: str) -> User | None:
        return self._email_owner(email)

    async def save(self, user: User) -> None:
        user = _stored(user)
        stored = self._work.users.get(user.id)
        if stored is None:
            return
        owner = self._email_owner(user.email)
        if owner is not None and owner.id != user.id:
            raise EmailTaken(user.email)
        same_email = stored.email.lower() == user.email.lower()
        kept = {
            "created_at": stored.created_at,
            "mfa_last_step": stored.mfa_last_step,
            "email_verified_at": stored.email_verified_at if same_email else None,
        }
        self._work.put_user(dataclasses.replace(user, **kept))

    async def claim_totp_step(self, user_id: UUID, step: int) -> bool:
        self._work.writable()
        await self._work.lock_row(("user", user_id))
        user = self._work.latest_user(user_id)
        if user is None or (user.mfa_last_step is not None and user.mfa_last_step >= step):
            return False
        self._work.put_user(dataclasses.replace(user, mfa_last_step=step))
        return True

    async def active_admin_ids(self) -> frozenset[UUID]:
        if not self._work.live:
            await self._work.lock_row("admins")
        ids = set(self._work.users) | set(self._work.store.users)
        latest = (self._work.latest_user(user_id) for user_id in ids)
        return frozenset(
            u.id
            for u in latest
            if u is not None and u.role == "admin" and u.active and u.deleted_at is None
        )

    async def search(self, where: UserFilter, *, limit: int, offset: int) -> Page[User]:
        q = where.q.lower() if where.q else None
        found = [
            u
            for u in self._work.users.values()
            if u.deleted_at is None
            and (where.role is None or u.role == where.role)
            and (where.active is None or u.active == where.active)
            and (q is None or q in u.email.lower() or q in u.name.lower())
        ]
        numbers = self._work.store.list_seq
        return _page(found, lambda u: numbers[u.id], limit=limit, offset=offset, newest=False)


class FakeSessions:
    def __init__(self, work: _Work) -> None:
        self._work = work

    async def add(self, session: Session) -> None:
        session = _stored(session)
        if session.user_id not in self._work.users:
            raise KeyError(f"no user {session.user_id}")  # the foreign key
        if any(s.token_hash == session.token_hash for s in self._work.sessions.values()):
            raise KeyError("token_hash exists")  # the unique index
        self._work.put_session(session)

    async def get(self, session_id: UUID) -> Session | None:
        return self._work.sessions.get(session_id)

    async def by_token_hash(self, token_hash: str) -> Session | None:
        sessions = self._work.sessions.values()
        return next((s for s in sessions if s.token_hash == token_hash), None)

    async def by_previous_token_hash(self, token_hash: str) -> Session | None:
        sessions = self._work.sessions.values()
        return next((s for s in sessions if s.previous_token_hash == token_hash), None)

    async def replace_token(self, rotated: Session) -> bool:
        rotated = _stored(rotated)
        stored = self._work.sessions.get(rotated.id)
        if (
            stored is None
            or stored.revoked_at is not None
            or stored.token_hash != rotated.previous_token_hash
        ):
            return False
        self._work.put_session(
            dataclasses.replace(
                stored,
                token_hash=rotated.token_hash,
                previous_token_hash=rotated.previous_token_hash,
                last_seen_at=rotated.last_seen_at,
            )
        )
        return True

    async def with_user(self, session_id: UUID) -> tuple[Session, User] | None:
        session = self._work.sessions.get(session_id)
        if session is None:
            return None
        return session, self._work.users[session.user_id]

    async def save(self, session: Session) -> None:
        session = _stored(session)
        stored = self._work.sessions.get(session.id)
        if stored is not None:
            self._work.put_session(
                dataclasses.replace(
                    stored,
                    last_seen_at=session.last_seen_at,
                    expires_at=session.expires_at,
                    revoked_at=session.revoked_at,
                )
            )

    async def revoke_for_user(
        self, user_id: UUID, now: datetime, *, keep: UUID | None = None
    ) -> int:
        revoked = [
            dataclasses.replace(s, revoked_at=now.astimezone(UTC))
            for s in self._work.sessions.values()
            if s.user_id == user_id and s.revoked_at is None and s.id != keep
        ]
        for session in revoked:
            self._work.put_session(session)
        return len(revoked)

    async def delete_for_user(self, user_id: UUID) -> int:
        mine = [s.id for s in self._work.sessions.values() if s.user_id == user_id]
        for session_id in mine:
            self._work.delete_session(session_id)
        return len(mine)

    async def for_user(self, user_id: UUID, *, limit: int, offset: int) -> Page[Session]:
        mine = [s for s in self._work.sessions.values() if s.user_id == user_id]
        return _page(mine, _by_creation, limit=limit, offset=offset, newest=True)

    async def count_live(self, now: datetime) -> int:
        sessions = self._work.sessions.values()
        return sum(1 for s in sessions if s.revoked_at is None and s.expires_at > now)

    async def live(self, now: datetime, *, limit: int, offset: int) -> Page[Session]:
        alive = [
            s for s in self._work.sessions.values() if s.revoked_at is None and s.expires_at > now
        ]
        return _page(alive, _by_creation, limit=limit, offset=offset, newest=True)


class FakeAuditLog:
    def __init__(self, work: _Work) -> None:
        self._work = work

    async def append(self, event: AuditEvent) -> None:
        details = json.loads(json.dumps(dict(event.details)))  # JSON, as the column is
        self._work.writable()
        numbered = dataclasses.replace(
            _stored(event), id=self._work.store.next_audit_id(), details=details
        )
        self._work.put_event(numbered)

    async def pseudonymise(self, email: str, pseudonym: str) -> int:
        self._work.writable()
        folded = email.lower()
        changed = 0
        for index, event in enumerate(self._work.audit):
            fields: dict[str, Any] = {}
            if event.email is not None and event.email.lower() == folded:
                fields["email"] = pseudonym
            if event.actor is not None and event.actor.lower() == folded:
                fields["actor"] = pseudonym
            if fields:
                self._work.audit[index] = dataclasses.replace(event, **fields)
                self._work.rewritten_audit = True
                changed += 1
        return changed

    async def search(self, where: AuditFilter, *, limit: int, offset: int) -> Page[AuditEvent]:
        found = [
            e
            for e in self._work.audit
            if (where.event_type is None or e.event_type == where.event_type)
            and (where.actor is None or e.actor == where.actor)
            and (where.since is None or e.created_at >= where.since)
        ]
        return _page(found, _by_creation, limit=limit, offset=offset, newest=True)


class FakeBackupCodes:
    def __init__(self, work: _Work) -> None:
        self._work = work

    async def replace(self, user_id: UUID, code_hashes: Sequence[str], now: datetime) -> None:
        self._work.writable()
        created_at = _utc(now, "now")
        if user_id not in self._work.users:
            raise KeyError(f"no user {user_id}")  # the foreign key
        if len(set(code_hashes)) != len(code_hashes):
            raise KeyError("code_hash repeated")  # the unique key
        if any(len(code_hash) != 64 for code_hash in code_hashes):
            raise ValueError("a code_hash is not 64 characters")  # the check constraint
        for code in [c for c in self._work.codes.values() if c.user_id == user_id]:
            self._work.delete_code(code.id)
        for code_hash in code_hashes:
            row = BackupCodeRow(
                id=uuid4(),
                user_id=user_id,
                code_hash=code_hash,
                used_at=None,
                created_at=created_at,
            )
            self._work.put_code(row)

    async def unused(self, user_id: UUID) -> dict[str, UUID]:
        codes = self._work.codes.values()
        return {c.code_hash: c.id for c in codes if c.user_id == user_id and c.used_at is None}

    async def use(self, code_id: UUID, now: datetime) -> bool:
        self._work.writable()
        used_at = _utc(now, "now")
        if self._work.latest_code(code_id) is None:
            return False
        await self._work.lock_row(code_id)
        code = self._work.latest_code(code_id)  # as committed by the unit waited for
        if code is None or code.used_at is not None:
            return False
        self._work.put_code(dataclasses.replace(code, used_at=used_at))
        return True


class FakeUnitOfWork:
    """`async with store.unit_of_work() as uow: …; await uow.commit()`."""

    users: Users
    sessions: Sessions
    audit: AuditLog
    backup_codes: BackupCodes

    def __init__(self, store: FakeUserStore) -> None:
        self._store = store
        self._work: _Work | None = None
        self._forget: list[tuple[UUID, str]] = []
        self.committed = False

    async def __aenter__(self) -> Self:
        self._work = work = _Work(self._store)
        self.users = FakeUsers(work)
        self.sessions = FakeSessions(work)
        self.audit = FakeAuditLog(work)
        self.backup_codes = FakeBackupCodes(work)
        return self

    async def commit(self) -> None:
        if self._work is None:
            raise RuntimeError("commit() outside `async with` of the unit of work")
        self._work.apply()
        self._work.release()
        self._store.commits += 1
        self._store.forgotten.extend(self._forget)
        self._forget.clear()
        self.committed = True

    async def forget_elsewhere(self, user_id: UUID, email: str) -> None:
        if self._work is None:
            raise RuntimeError("forget_elsewhere() outside `async with` of the unit of work")
        self._forget.append((user_id, email))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._work is not None:
            self._work.release()
        self._work = None  # uncommitted writes are dropped with it


class FakeReaders:
    """`async with store.readers() as read: …` — the committed rows; writes raise."""

    users: Users
    sessions: Sessions
    audit: AuditLog
    backup_codes: BackupCodes

    def __init__(self, store: FakeUserStore) -> None:
        self._store = store

    async def __aenter__(self) -> Self:
        work = _Work(self._store, live=True)
        self.users = FakeUsers(work)
        self.sessions = FakeSessions(work)
        self.audit = FakeAuditLog(work)
        self.backup_codes = FakeBackupCodes(work)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None
