"""The per-process cache of sessions and users behind authentication (shell).

Every authenticated request needs its session row and its user; reading them from the
database each time is most of what a cheap request costs. This cache keeps them in memory —
but never at the price of a stale answer:

* It is on only while a change channel is live (`set_enabled`), one that tells every process
  of every change to a user or their sessions (PostgreSQL LISTEN/NOTIFY fed by triggers, so
  manual SQL counts too). With the channel down it is off and empty: requests read the
  database, as without a cache.
* The process that made a change drops the user's entries right after its commit
  (`invalidate_users`), so the change holds from its very next request; other processes drop
  them when the notification arrives (milliseconds).
* A reader that went to the database stores what it read only if no invalidation happened
  meanwhile (`generation`): a change committed while the read was in flight wins.
* Entries also expire after `ttl` seconds, a last bound should anything be missed.

Decisions (expiry, revocation, role) are still made on every request from the cached rows and
the current time; only the rows are cached.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from uuid import UUID

from boundary.user.core.model import Session, User

Entry = tuple[float, Session, User]


class AuthCache:
    """Sessions (with their user) by session id, and users by id, for `ttl` seconds."""

    def __init__(
        self,
        *,
        ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._sessions: dict[UUID, Entry] = {}
        self._users: dict[UUID, tuple[float, User]] = {}
        self._sessions_of: dict[UUID, set[UUID]] = {}
        self._generation = 0
        self._enabled = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def generation(self) -> int:
        """Read before going to the database; hand it to `put_*` with what was read."""
        return self._generation

    def set_enabled(self, enabled: bool) -> None:
        """On while the change channel is live; off (and emptied) otherwise. Emptied when it
        comes back too: changes made while it was down were never heard of."""
        self._enabled = enabled
        self.clear()

    def session(self, session_id: UUID) -> tuple[Session, User] | None:
        """The cached session and its user, or None (a miss, or the cache is off)."""
        entry = self._sessions.get(session_id)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            self._drop_session(session_id)
            return None
        return entry[1], entry[2]

    def user(self, user_id: UUID) -> User | None:
        entry = self._users.get(user_id)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._users[user_id]
            return None
        return entry[1]

    def put_session(self, session: Session, user: User, generation: int) -> None:
        """Keep what a reader found, unless the cache is off or something changed since the
        reader took `generation`."""
        if not self._enabled or generation != self._generation:
            return
        if len(self._sessions) >= self._max:
            for session_id in self._oldest(self._sessions):
                self._drop_session(session_id)
        self._sessions[session.id] = (self._clock() + self._ttl, session, user)
        self._sessions_of.setdefault(user.id, set()).add(session.id)

    def put_user(self, user: User, generation: int) -> None:
        if not self._enabled or generation != self._generation:
            return
        if len(self._users) >= self._max:
            for user_id in self._oldest(self._users):
                del self._users[user_id]
        self._users[user.id] = (self._clock() + self._ttl, user)

    def invalidate_users(self, user_ids: Iterable[UUID]) -> None:
        """Forget these users and every session of theirs."""
        self._generation += 1
        for user_id in user_ids:
            self._users.pop(user_id, None)
            for session_id in self._sessions_of.pop(user_id, ()):
                self._sessions.pop(session_id, None)

    def clear(self) -> None:
        self._generation += 1
        self._sessions.clear()
        self._users.clear()
        self._sessions_of.clear()

    def _drop_session(self, session_id: UUID) -> None:
        entry = self._sessions.pop(session_id, None)
        if entry is not None:
            owned = self._sessions_of.get(entry[2].id)
            if owned is not None:
                owned.discard(session_id)

    def _oldest(self, entries: Mapping[UUID, object]) -> list[UUID]:
        """At the size bound, the oldest tenth (insertion order) goes: O(1) per insert on
        average, and no bookkeeping on reads."""
        return list(itertools.islice(entries, max(1, self._max // 10)))
