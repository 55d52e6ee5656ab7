"""`AuthCache`: on only while its channel is live, never keeps what an invalidation raced."""

from __future__ import annotations

import uuid

from boundary.user.shell.auth_cache import AuthCache
from tests.fakes.builders import make_session, make_user


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


def live_cache(clock: Clock | None = None, *, max_entries: int = 100) -> AuthCache:
    cache = AuthCache(ttl=60, max_entries=max_entries, clock=clock or Clock())
    cache.set_enabled(True)
    return cache


def test_off_until_its_channel_is_live() -> None:
    cache = AuthCache(ttl=60, max_entries=10)
    user = make_user()
    session = make_session(user)

    cache.put_session(session, user, cache.generation)
    cache.put_user(user, cache.generation)

    assert cache.session(session.id) is None
    assert cache.user(user.id) is None


def test_keeps_what_a_reader_found() -> None:
    cache = live_cache()
    user = make_user()
    session = make_session(user)

    cache.put_session(session, user, cache.generation)
    cache.put_user(user, cache.generation)

    assert cache.session(session.id) == (session, user)
    assert cache.user(user.id) == user


def test_a_read_that_raced_an_invalidation_is_not_kept() -> None:
    """The reader took the generation, then someone changed the user: its row may be stale."""
    cache = live_cache()
    user = make_user()
    session = make_session(user)
    before = cache.generation

    cache.invalidate_users([uuid.uuid4()])  # any change, even of another user
    cache.put_session(session, user, before)
    cache.put_user(user, before)

    assert cache.session(session.id) is None
    assert cache.user(user.id) is None


def test_invalidating_a_user_forgets_them_and_all_their_sessions() -> None:
    cache = live_cache()
    ann, bob = make_user(), make_user(email="bob@example.com")
    ann_sessions = [make_session(ann), make_session(ann)]
    bob_session = make_session(bob)
    for session in ann_sessions:
        cache.put_session(session, ann, cache.generation)
    cache.put_session(bob_session, bob, cache.generation)
    cache.put_user(ann, cache.generation)

    cache.invalidate_users([ann.id])

    assert [cache.session(s.id) for s in ann_sessions] == [None, None]
    assert cache.user(ann.id) is None
    assert cache.session(bob_session.id) == (bob_session, bob)


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = live_cache(clock)
    user = make_user()
    session = make_session(user)
    cache.put_session(session, user, cache.generation)
    cache.put_user(user, cache.generation)

    clock.at += 59.9
    assert cache.session(session.id) is not None
    clock.at += 0.1
    assert cache.session(session.id) is None
    assert cache.user(user.id) is None


def test_the_channel_going_down_empties_it_and_coming_back_starts_empty() -> None:
    cache = live_cache()
    user = make_user()
    session = make_session(user)
    cache.put_session(session, user, cache.generation)

    cache.set_enabled(False)
    assert cache.session(session.id) is None
    cache.put_session(session, user, cache.generation)
    assert cache.session(session.id) is None

    cache.set_enabled(True)
    assert cache.session(session.id) is None
    cache.put_session(session, user, cache.generation)
    assert cache.session(session.id) == (session, user)


def test_at_its_size_bound_the_oldest_entries_go() -> None:
    cache = live_cache(max_entries=10)
    user = make_user()
    sessions = [make_session(user) for _ in range(11)]
    for session in sessions:
        cache.put_session(session, user, cache.generation)

    assert cache.session(sessions[0].id) is None
    assert all(cache.session(s.id) is not None for s in sessions[1:])
