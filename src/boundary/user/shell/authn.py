"""Per-request authentication (shell): bearer JWT → live session → principal.

Runs on every authenticated request, so it is kept to one HMAC check (cached per token) and at
most ONE database round trip (session joined with its user, on a transaction-less
connection) — none while the session is in the `AuthCache`. The token alone is never enough:
the session row must be live, so logout, revocation, deactivation, deletion or a role change
take effect on the very next request on this replica, and within milliseconds on every other
(see `auth_cache`). `last_seen_at` is written at most once a minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from boundary.kernel.ports import Clock
from boundary.observability.logging import Logger
from boundary.user.core import sessions as session_rules
from boundary.user.core import tokens
from boundary.user.core.audit import ActorRef, actor_of
from boundary.user.core.errors import Unauthenticated
from boundary.user.core.model import Session, User
from boundary.user.core.permissions import Actor
from boundary.user.ports import ReadersFactory, TokenCodec, UnitOfWorkFactory
from boundary.user.shell.auth_cache import AuthCache


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of this request."""

    user: User
    session: Session

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user.id, role=self.user.role)

    @property
    def ref(self) -> ActorRef:
        return actor_of(self.user)


class Authenticator:
    def __init__(
        self,
        *,
        codec: TokenCodec,
        readers: ReadersFactory,
        units: UnitOfWorkFactory,
        clock: Clock,
        logger: Logger,
        cache: AuthCache | None = None,
    ) -> None:
        self._codec = codec
        self._readers = readers
        self._units = units
        self._clock = clock
        self._log = logger
        self._cache = cache or AuthCache(ttl=0, max_entries=1)  # never enabled: a pass-through
        self._reads: dict[tuple[UUID, int], asyncio.Future[tuple[Session, User] | None]] = {}

    async def authenticate(
        self, bearer: str, *, verified: Mapping[str, object] | None = None
    ) -> Principal:
        """The principal for an access token, or `Unauthenticated` (401) saying why in logs.

        `verified`: the token's claims when the caller already checked its signature (the
        rate limiter does, to pick the budget); the claims' times are checked here anyway."""
        now = self._clock.now()
        claims = verified if verified is not None else self._codec.verify(bearer)
        if claims is None:
            raise self._refuse("invalid_token")
        checked = tokens.check_claims(claims, now)
        if isinstance(checked, session_rules.Invalid):
            raise self._refuse(checked.reason)
        found = await self._session_with_user(checked.session_id)
        session, user = found if found is not None else (None, None)
        result = session_rules.check_session_for_user(
            session, user, now=now, token_role=checked.role
        )
        if isinstance(result, session_rules.Invalid):
            raise self._refuse(result.reason)
        assert user is not None
        if user.id != checked.user_id:
            raise self._refuse("subject_mismatch")
        if session_rules.should_touch(result, now):
            result = await self._touch(result, now)
        return Principal(user=user, session=result)

    async def authenticate_session_token(self, raw: str, *, idle_seconds: float) -> Principal:
        """The principal for a raw session token (the admin console's cookie), or
        `Unauthenticated`: the session must be live, its user usable, and the session used
        within the last `idle_seconds`. Use is recorded as for access tokens."""
        now = self._clock.now()
        async with self._readers() as read:
            found = await read.sessions.by_token_hash(session_rules.hash_token(raw))
        with_user = None if found is None else await self._session_with_user(found.id)
        session, user = with_user if with_user is not None else (None, None)
        result = session_rules.check_session_for_user(session, user, now=now)
        if isinstance(result, session_rules.Invalid):
            raise self._refuse(result.reason)
        assert user is not None
        if session_rules.is_idle(result, now, idle_seconds):
            raise self._refuse("idle")
        if session_rules.should_touch(result, now):
            result = await self._touch(result, now)
        return Principal(user=user, session=result)

    async def _session_with_user(self, session_id: UUID) -> tuple[Session, User] | None:
        """From the cache, else from the database — one read for every request that misses
        on the same session at the same time.

        When a session's entry goes (its `last_seen_at` was written, a change elsewhere), the
        next requests with it all miss at once: fifty clients on one token were fifty reads of
        the same row, and the tail of every request behind them. They now wait for the first
        one's read. Only requests that began after the same invalidation (the cache's
        `generation`) share a read, so a read that started before a logout or a revocation
        never answers a request that came after it."""
        cached = self._cache.session(session_id)
        if cached is not None:
            return cached
        key = (session_id, self._cache.generation)
        pending = self._reads.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._read_session(session_id, key[1]))
            self._reads[key] = pending
            pending.add_done_callback(lambda _: self._reads.pop(key, None))
        # shield: a caller that gives up (client gone) does not cancel the others' read.
        return await asyncio.shield(pending)

    async def _read_session(self, session_id: UUID, generation: int) -> tuple[Session, User] | None:
        async with self._readers() as read:
            found = await read.sessions.with_user(session_id)
        if found is not None:
            self._cache.put_session(*found, generation)
        return found

    async def _touch(self, session: Session, now: object) -> Session:
        touched = session_rules.touch(session, self._clock.now())
        async with self._units() as unit:
            await unit.sessions.save(touched)
            await unit.commit()
        return touched

    def _refuse(self, reason: str) -> Unauthenticated:
        self._log.debug("Authentication refused", reason=reason)
        return Unauthenticated(reason)
