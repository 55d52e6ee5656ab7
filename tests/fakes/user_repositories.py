"""In-memory fakes of the user ports: `Users`, `Sessions`, `AuditLog` and the unit of work.

`FakeUserStore` holds the committed rows; `store.unit_of_work` is a `UnitOfWorkFactory`. A unit
reads a snapshot taken when it is entered and keeps its writes to itself; `commit()` applies
the rows it wrote to the store (row by row, so concurrent units do not wipe each other out).
Leaving without commit — or with an exception — discards them, like a rollback. Audit ids come
from a store-wide counter, as from a database sequence (rolled-back ids leave gaps).

The fakes keep the adapters' rules (case-insensitive unique emails, soft-deleted users kept but
not listed, orderings, aware timestamps only) and pass the same contract suite as the SQL
adapters: `tests/contract/test_user_repositories.py`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

from boundary.kernel.pagination import Page
from boundary.user.core.model import AuditEvent, AuditFilter, Session, User, UserFilter
from boundary.user.ports import AuditLog, EmailTaken, Sessions, Users

T = TypeVar("T")


class FakeUserStore:
    """The committed state of the fake user tables; `unit_of_work` is the factory to inject."""

    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}
        self.sessions: dict[UUID, Session] = {}
        self.audit_events: list[AuditEvent] = []
        self.commits = 0
        self._last_audit_id = 0

    def unit_of_work(self) -> FakeUnitOfWork:
        """A new unit of work: this method is a `UnitOfWorkFactory`."""
        return FakeUnitOfWork(self)

    def next_audit_id(self) -> int:
        self._last_audit_id += 1
        return self._last_audit_id


class _Work:
    """One unit's view: a snapshot of the store plus what the unit wrote."""

    def __init__(self, store: FakeUserStore) -> None:
        self.store = store
        self.users = dict(store.users)
        self.sessions = dict(store.sessions)
        self.audit = list(store.audit_events)
        self.written_users: set[UUID] = set()
        self.written_sessions: set[UUID] = set()
        self.appended: list[AuditEvent] = []

    def put_user(self, user: User) -> None:
        self.users[user.id] = user
        self.written_users.add(user.id)

    def put_session(self, session: Session) -> None:
        self.sessions[session.id] = session
        self.written_sessions.add(session.id)

    def apply(self) -> None:
        """Write this unit's rows to the store; the unit goes on from the new state."""
        store = self.store
        store.users.update((key, self.users[key]) for key in self.written_users)
        store.sessions.update((key, self.sessions[key]) for key in self.written_sessions)
        store.audit_events.extend(self.appended)
        self.written_users.clear()
        self.written_sessions.clear()
        self.appended.clear()


E = TypeVar("E", User, Session, AuditEvent)


def _stored(entity: E) -> E:
    """The entity as the SQL adapters store it: naive datetimes refused, aware ones in UTC."""
    changes: dict[str, Any] = {}
    for item in dataclasses.fields(entity):
        value = getattr(entity, item.name)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"naive datetime in {item.name}: timestamps must be aware")
            if value.tzinfo is not UTC:
                changes[item.name] = value.astimezone(UTC)
    return dataclasses.replace(entity, **changes) if changes else entity


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
        self._work.put_user(dataclasses.replace(user, created_at=stored.created_at))

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
        return _page(found, _by_creation, limit=limit, offset=offset, newest=False)


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

    async def for_user(self, user_id: UUID, *, limit: int, offset: int) -> Page[Session]:
        mine = [s for s in self._work.sessions.values() if s.user_id == user_id]
        return _page(mine, _by_creation, limit=limit, offset=offset, newest=True)

    async def count_live(self, now: datetime) -> int:
        sessions = self._work.sessions.values()
        return sum(1 for s in sessions if s.revoked_at is None and s.expires_at > now)


class FakeAuditLog:
    def __init__(self, work: _Work) -> None:
        self._work = work

    async def append(self, event: AuditEvent) -> None:
        details = json.loads(json.dumps(dict(event.details)))  # JSON, as the column is
        numbered = dataclasses.replace(
            _stored(event), id=self._work.store.next_audit_id(), details=details
        )
        self._work.audit.append(numbered)
        self._work.appended.append(numbered)

    async def search(self, where: AuditFilter, *, limit: int, offset: int) -> Page[AuditEvent]:
        found = [
            e
            for e in self._work.audit
            if (where.event_type is None or e.event_type == where.event_type)
            and (where.actor is None or e.actor == where.actor)
            and (where.since is None or e.created_at >= where.since)
        ]
        return _page(found, _by_creation, limit=limit, offset=offset, newest=True)


class FakeUnitOfWork:
    """`async with store.unit_of_work() as uow: …; await uow.commit()`."""

    users: Users
    sessions: Sessions
    audit: AuditLog

    def __init__(self, store: FakeUserStore) -> None:
        self._store = store
        self._work: _Work | None = None
        self.committed = False

    async def __aenter__(self) -> Self:
        self._work = work = _Work(self._store)
        self.users = FakeUsers(work)
        self.sessions = FakeSessions(work)
        self.audit = FakeAuditLog(work)
        return self

    async def commit(self) -> None:
        if self._work is None:
            raise RuntimeError("commit() outside `async with` of the unit of work")
        self._work.apply()
        self._store.commits += 1
        self.committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._work = None  # uncommitted writes are dropped with it
