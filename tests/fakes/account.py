"""In-memory fakes of the account ports: `AccountTokens`, `Mailbox` and the account unit.

`FakeAccountStore` is a `FakeUserStore` that also holds the committed `account_tokens` rows
(`account_tokens`) and the queued mail (`outbox`); `store.account_unit` is an
`AccountUnitFactory`, and `store.unit_of_work` / `store.readers` still serve the user services.
An account unit IS the user store's unit of work (`FakeUnitOfWork`: the same snapshot taken on
entry, the same row locks, the same commit and rollback) with `tokens` and `mail` beside its
repositories — as `SqlAccountUnit` is `SqlUnitOfWork` plus two repositories on its connection.
Its tokens and mail follow the same rules: read from the snapshot, written to the unit's own
view, applied to the store by `commit()` (row by row), dropped when it ends without one.

Row locks are modelled where the service relies on them, as SQL takes them: a locking
`by_hash`, `use`, `void_unused` and `prune` hold the token's row, `mark_email_verified` the
user's row (the same lock `Users.claim_totp_step` takes), until the unit ends; a concurrent unit
doing the same waits for that, then sees the row as committed — the token spent, the email
changed — if the first unit committed.

The fakes keep the adapters' rules: a token needs its user (the foreign key), a unique
`token_hash` of 64 characters compared exactly, a unique id; timestamps aware only, stored in
UTC; a mail's id unique. They pass the same contract suite as the SQL adapters:
`tests/contract/test_account_ports.py`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from boundary.account.core import AccountToken, TokenKind
from boundary.account.ports import AccountTokens, Mailbox
from boundary.mail.core import Message
from tests.fakes.user_repositories import FakeUnitOfWork, FakeUserStore, _utc, _Work


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMail:
    """A message `Mailbox.enqueue` queued (a pending row of `mail_outbox`, due at once)."""

    id: UUID
    message: Message
    queued_at: datetime


class FakeAccountStore(FakeUserStore):
    """The committed state of the fake user tables, `account_tokens` and the outbox;
    `account_unit` is the factory to inject into `AccountService`."""

    def __init__(self) -> None:
        super().__init__()
        self.account_tokens: dict[UUID, AccountToken] = {}
        self.outbox: list[QueuedMail] = []

    def account_unit(self) -> FakeAccountUnit:
        """A new account unit: this method is an `AccountUnitFactory`."""
        return FakeAccountUnit(self)


def _lock_key(token_id: UUID) -> tuple[str, UUID]:
    return ("account_token", token_id)


class _AccountWork:
    """One account unit's tokens and mail: a snapshot of the store's tokens plus what the unit
    wrote; `users` and the row locks are the user unit's own (`work`)."""

    def __init__(self, store: FakeAccountStore, work: _Work) -> None:
        self.store = store
        self.work = work
        self.tokens = dict(store.account_tokens)
        self.written: set[UUID] = set()
        self.deleted: set[UUID] = set()
        self.queued: list[QueuedMail] = []

    def put(self, token: AccountToken) -> None:
        self.tokens[token.id] = token
        self.written.add(token.id)
        self.deleted.discard(token.id)

    def delete(self, token_id: UUID) -> None:
        self.tokens.pop(token_id, None)
        self.written.discard(token_id)
        self.deleted.add(token_id)

    def latest(self, token_id: UUID) -> AccountToken | None:
        """The row an UPDATE or a locking read would see: this unit's own version, else the
        committed one."""
        if token_id in self.written or token_id in self.deleted:
            return self.tokens.get(token_id)
        return self.store.account_tokens.get(token_id)

    def latest_rows(self) -> list[AccountToken]:
        """Every row as an UPDATE or a locking read would see it."""
        ids = set(self.tokens) | set(self.store.account_tokens)
        return [row for row in map(self.latest, ids) if row is not None]

    async def lock(self, token_id: UUID) -> AccountToken | None:
        """Hold the token's row until the unit ends (waiting for another unit holding it);
        the row as it is then."""
        await self.work.lock_row(_lock_key(token_id))
        return self.latest(token_id)

    def apply(self) -> None:
        """Write this unit's rows and mail to the store; the unit goes on from the new state."""
        store = self.store
        store.account_tokens.update((key, self.tokens[key]) for key in self.written)
        for key in self.deleted:
            store.account_tokens.pop(key, None)
        store.outbox.extend(self.queued)
        self.written.clear()
        self.deleted.clear()
        self.queued.clear()


def _stored(token: AccountToken) -> AccountToken:
    """The token as `SqlAccountTokens` stores it: naive datetimes refused, aware ones in UTC."""
    return dataclasses.replace(
        token,
        created_at=_utc(token.created_at, "created_at"),
        expires_at=_utc(token.expires_at, "expires_at"),
        used_at=None if token.used_at is None else _utc(token.used_at, "used_at"),
    )


class FakeAccountTokens:
    def __init__(self, account: _AccountWork) -> None:
        self._account = account

    async def add(self, token: AccountToken) -> None:
        self._account.work.writable()
        token = _stored(token)
        if len(token.token_hash) != 64:
            raise ValueError("token_hash is not 64 characters")  # the check constraint
        if token.user_id not in self._account.work.users:
            raise KeyError(f"no user {token.user_id}")  # the foreign key
        rows = self._account.latest_rows()
        if any(row.id == token.id for row in rows):
            raise KeyError(f"token {token.id} exists")  # the primary key
        if any(row.token_hash == token.token_hash for row in rows):
            raise KeyError("token_hash exists")  # the unique key
        self._account.put(token)

    async def recent_count(self, user_id: UUID, kind: TokenKind, since: datetime) -> int:
        since = _utc(since, "since")
        return sum(
            1
            for row in self._account.tokens.values()
            if row.user_id == user_id and row.kind == kind and row.created_at > since
        )

    async def void_unused(self, user_id: UUID, kind: TokenKind, now: datetime) -> int:
        self._account.work.writable()
        used_at = _utc(now, "now")
        voided = 0
        for candidate in self._account.latest_rows():
            if (candidate.user_id, candidate.kind, candidate.used_at) != (user_id, kind, None):
                continue
            row = await self._account.lock(candidate.id)
            if row is not None and row.used_at is None:
                self._account.put(dataclasses.replace(row, used_at=used_at))
                voided += 1
        return voided

    async def by_hash(self, token_hash: str, *, lock: bool = False) -> AccountToken | None:
        # A plain read sees the unit's snapshot; a locking one the latest rows, as SQL does.
        rows = self._account.latest_rows() if lock else self._account.tokens.values()
        found = next((row for row in rows if row.token_hash == token_hash), None)
        if found is None or not lock:
            return found
        return await self._account.lock(found.id)

    async def use(self, token_id: UUID, now: datetime) -> bool:
        self._account.work.writable()
        used_at = _utc(now, "now")
        if self._account.latest(token_id) is None:
            return False
        row = await self._account.lock(token_id)  # as committed by the unit waited for
        if row is None or row.used_at is not None:
            return False
        self._account.put(dataclasses.replace(row, used_at=used_at))
        return True

    async def mark_email_verified(self, user_id: UUID, email: str, now: datetime) -> bool:
        work = self._account.work
        work.writable()
        at = _utc(now, "now")
        if work.latest_user(user_id) is None:
            return False
        await work.lock_row(("user", user_id))
        user = work.latest_user(user_id)  # as committed by the unit waited for
        if user is None or user.email.lower() != email.lower():
            return False
        work.put_user(dataclasses.replace(user, email_verified_at=at, updated_at=at))
        return True

    async def prune(self, before: datetime) -> int:
        self._account.work.writable()
        cutoff = _utc(before, "before")
        pruned = 0
        for candidate in self._account.latest_rows():
            if candidate.expires_at >= cutoff:
                continue
            row = await self._account.lock(candidate.id)
            if row is not None and row.expires_at < cutoff:
                self._account.delete(row.id)
                pruned += 1
        return pruned


class FakeMailbox:
    def __init__(self, account: _AccountWork) -> None:
        self._account = account

    async def enqueue(self, *, id: UUID, message: Message, now: datetime) -> None:
        self._account.work.writable()
        queued_at = _utc(now, "now")
        if any(mail.id == id for mail in (*self._account.store.outbox, *self._account.queued)):
            raise KeyError(f"mail {id} exists")  # the primary key
        self._account.queued.append(QueuedMail(id=id, message=message, queued_at=queued_at))


class FakeAccountUnit(FakeUnitOfWork):
    """`async with store.account_unit() as unit: …; await unit.commit()` — the user unit of
    work with `tokens` and `mail`."""

    tokens: AccountTokens
    mail: Mailbox

    def __init__(self, store: FakeAccountStore) -> None:
        super().__init__(store)
        self._account_store = store
        self._account: _AccountWork | None = None

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        assert self._work is not None
        self._account = account = _AccountWork(self._account_store, self._work)
        self.tokens = FakeAccountTokens(account)
        self.mail = FakeMailbox(account)
        return self

    async def commit(self) -> None:
        if self._account is not None:
            self._account.apply()  # before the user unit's commit lets waiting units go on
        await super().commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, traceback)
        self._account = None  # uncommitted tokens and mail are dropped with it
