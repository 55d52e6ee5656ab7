"""What the account service needs from the world: its token store and the mail outbox, inside
the user module's unit of work, so a token, its mail and the audit row commit together.

Adapters: `account.shell.unit` (SQLAlchemy, all three databases).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from boundary.account.core import AccountToken, TokenKind
from boundary.mail.core import Message
from boundary.user.ports import UnitOfWork


class AccountTokens(Protocol):
    async def add(self, token: AccountToken) -> None:
        """Store a newly issued token (only its hash is kept)."""

    async def recent_count(self, user_id: UUID, kind: TokenKind, since: datetime) -> int:
        """Tokens of `kind` issued to the user since `since` (each was one mail)."""

    async def void_unused(self, user_id: UUID, kind: TokenKind, now: datetime) -> int:
        """Spend every unused token of `kind` of the user (a newer one replaces them)."""

    async def by_hash(self, token_hash: str, *, lock: bool = False) -> AccountToken | None:
        """The token with this hash; `lock` holds its row until the unit ends."""

    async def use(self, token_id: UUID, now: datetime) -> bool:
        """Spend the token; False when a concurrent redemption spent it first."""

    async def mark_email_verified(self, user_id: UUID, email: str, now: datetime) -> bool:
        """Set `users.email_verified_at` while the user's address is still `email`."""

    async def prune(self, before: datetime) -> int:
        """Delete tokens that expired before `before` (past the hourly window's use)."""


class Mailbox(Protocol):
    async def enqueue(self, *, id: UUID, message: Message, now: datetime) -> None:
        """Queue the message; it is sent only if the unit commits."""


class AccountUnit(UnitOfWork, Protocol):
    tokens: AccountTokens
    mail: Mailbox


AccountUnitFactory = Callable[[], AbstractAsyncContextManager[AccountUnit]]
