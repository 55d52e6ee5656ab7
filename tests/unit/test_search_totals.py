"""`SearchTotals`: on only while its channel is live, never keeps what an invalidation raced."""

from __future__ import annotations

from boundary.user.shell.search_totals import SearchTotals

KEY = ("garcia", None, None)


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


def live_totals(clock: Clock | None = None, max_entries: int = 100) -> SearchTotals:
    totals = SearchTotals(ttl=60, max_entries=max_entries, clock=clock or Clock())
    totals.set_enabled(True)
    return totals


def test_off_until_enabled_it_keeps_nothing() -> None:
    totals = SearchTotals(ttl=60, max_entries=100)

    totals.put(KEY, (7, 100), totals.generation)

    assert not totals.enabled
    assert totals.get(KEY) is None


def test_a_total_is_kept_per_q_role_and_active() -> None:
    totals = live_totals()

    totals.put(KEY, (7, 100), totals.generation)
    totals.put(("garcia", "admin", None), (2, 100), totals.generation)

    assert totals.get(KEY) == (7, 100)
    assert totals.get(("garcia", "admin", None)) == (2, 100)
    assert totals.get(("garcia", None, True)) is None


def test_an_invalidation_forgets_every_total_and_refuses_counts_begun_before_it() -> None:
    totals = live_totals()
    totals.put(KEY, (7, 100), totals.generation)
    counting_since = totals.generation

    totals.invalidate()
    totals.put(("smith", None, None), (3, 100), counting_since)

    assert totals.get(KEY) is None
    assert totals.get(("smith", None, None)) is None


def test_going_down_empties_it_and_coming_back_starts_empty() -> None:
    totals = live_totals()
    totals.put(KEY, (7, 100), totals.generation)
    before_outage = totals.generation

    totals.set_enabled(False)
    assert totals.get(KEY) is None
    totals.put(KEY, (7, 100), totals.generation)
    assert totals.get(KEY) is None

    totals.set_enabled(True)
    totals.put(KEY, (8, 100), before_outage)  # counted before the outage: changes may be missed
    assert totals.get(KEY) is None


def test_a_total_expires_after_the_ttl() -> None:
    clock = Clock()
    totals = live_totals(clock)
    totals.put(KEY, (7, 100), totals.generation)

    clock.at += 59.9
    assert totals.get(KEY) == (7, 100)
    clock.at += 0.1
    assert totals.get(KEY) is None


def test_at_the_size_bound_the_oldest_totals_go() -> None:
    totals = live_totals(max_entries=10)
    for n in range(10):
        totals.put((f"q{n}", None, None), (n, 100), totals.generation)

    totals.put(KEY, (7, 100), totals.generation)

    assert totals.get(("q0", None, None)) is None
    assert totals.get(("q1", None, None)) == (1, 100)
    assert totals.get(KEY) == (7, 100)


def test_pages_members_are_kept_and_forgotten_with_the_totals() -> None:
    totals = live_totals()
    page = (KEY, 20, 0)
    totals.put_page(page, (3, 5, 8), totals.generation)
    assert totals.page(page) == (3, 5, 8)
    assert totals.page((KEY, 20, 20)) is None
    walking_since = totals.generation

    totals.invalidate()
    totals.put_page((KEY, 20, 20), (13, 21), walking_since)

    assert totals.page(page) is None
    assert totals.page((KEY, 20, 20)) is None
