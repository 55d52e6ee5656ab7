"""The per-process cache of the user listing's q searches: totals, and pages' members (shell).

`GET /api/v1/users?q=…` answers with the exact number of matching users. Counting them is
most of what a broad search costs (a term matching 1% of a million users has ten thousand
matches to count; the page itself needs twenty), so the count is kept in memory per
(q, role, active), and so are the list_seq values of the pages read by walking the listing
(whose rows are then read fresh by those values) — but never at the price of a stale answer,
as the cache of sessions and users does it (`auth_cache`):

* It is on only while the change channel is live (`set_enabled`): PostgreSQL LISTEN/NOTIFY,
  fed by triggers that notify `CHANGED` for every committed insert, delete or truncate of
  users and every update of a column the search filters on or orders by (email, name, role,
  active, deleted_at, list_seq), whoever made it — this process, another replica, or manual
  SQL. With the channel down (and on SQLite and MySQL, which have none) it is off and empty:
  every search counts.
* Any such notification forgets everything (`invalidate`); so does this process's own
  commit of a unit that added users or changed one of those columns, right after it, so its
  next request sees the change before the notification arrives.
* A reader that counted stores its total only if nothing was invalidated meanwhile
  (`generation`, read before the count): a change committed while the count ran wins.
* Entries also expire after `ttl` seconds, a last bound should anything be missed.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Final, TypeVar

Key = tuple[str, str | None, bool | None]
"""(q lowercased, role, active): the filters a q search's total depends on."""
PageKey = tuple[Key, int, int]
"""A search's key with the page's limit and offset."""
Counts = tuple[int, int]
"""(the users matching, the live users the role/active filter selects): the total, and
how common matches are, which picks how the page is read (see `listing`). Both change only
on the changes that invalidate."""

CHANGED: Final = "users-listed"
"""The notification payload the listing triggers send (see the `notify-user-listing`
migration): something a search can see changed."""


_K = TypeVar("_K")
_V = TypeVar("_V")


class SearchTotals:
    """The `Counts` of each (q, role, active), and the members of pages, for `ttl` seconds;
    at most `max_entries` of each."""

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
        self._totals: dict[Key, tuple[float, Counts]] = {}
        self._pages: dict[PageKey, tuple[float, tuple[int, ...]]] = {}
        self._generation = 0
        self._enabled = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def generation(self) -> int:
        """Read before counting; hand it to `put` with the count."""
        return self._generation

    def set_enabled(self, enabled: bool) -> None:
        """On while the change channel is live; off (and emptied) otherwise. Emptied when it
        comes back too: changes made while it was down were never heard of."""
        self._enabled = enabled
        self.invalidate()

    def get(self, key: Key) -> Counts | None:
        """The cached counts, or None (a miss, expired, or the cache is off)."""
        entry = self._totals.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._totals[key]
            return None
        return entry[1]

    def put(self, key: Key, counts: Counts, generation: int) -> None:
        """Keep what a reader counted, unless the cache is off or something changed since
        the reader took `generation`."""
        if not self._enabled or generation != self._generation:
            return
        self._store(self._totals, key, counts)

    def page(self, key: PageKey) -> tuple[int, ...] | None:
        """The list_seq values of a page's users, or None (a miss, expired, or off)."""
        entry = self._pages.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._pages[key]
            return None
        return entry[1]

    def put_page(self, key: PageKey, seqs: tuple[int, ...], generation: int) -> None:
        """Keep which users a reader found on a page, as `put` keeps counts."""
        if not self._enabled or generation != self._generation:
            return
        self._store(self._pages, key, seqs)

    def invalidate(self) -> None:
        """Forget everything: users were added, removed, or changed in a way a search sees."""
        self._generation += 1
        self._totals.clear()
        self._pages.clear()

    def _store(self, entries: dict[_K, tuple[float, _V]], key: _K, value: _V) -> None:
        """At the size bound, the oldest tenth (insertion order) goes first."""
        if key not in entries and len(entries) >= self._max:
            for old in list(itertools.islice(entries, max(1, self._max // 10))):
                del entries[old]
        entries[key] = (self._clock() + self._ttl, value)
