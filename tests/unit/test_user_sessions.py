"""User core sessions: hashing, creating, checking, touching and revoking, at a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.user.core.model import Session
from boundary.user.core.sessions import (
    MAX_USER_AGENT_LENGTH,
    Invalid,
    check_session,
    check_session_for_user,
    hash_token,
    new_session,
    revoke,
    rotate,
    should_touch,
    touch,
)
from tests.fakes import builders
from tests.fakes.builders import NOW

USER_ID = UUID("00000000-0000-4000-8000-000000000001")
OTHER_USER_ID = UUID("00000000-0000-4000-8000-000000000002")
SESSION_ID = UUID("00000000-0000-4000-8000-0000000000aa")
TOKEN_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


make_session = partial(
    builders.make_session,
    id=SESSION_ID,
    user_id=USER_ID,
    token_hash=TOKEN_HASH,
    created_at=NOW - timedelta(hours=1),
    expires_at=NOW + timedelta(hours=1),
    last_seen_at=NOW - timedelta(minutes=5),
)


make_user = partial(
    builders.make_user,
    id=USER_ID,
    email="alice@example.com",
    name="Alice",
    created_at=NOW - timedelta(days=30),
    updated_at=NOW - timedelta(days=30),
)


# --- hash_token ------------------------------------------------------------------------------


def test_token_hash_is_the_hex_sha256_of_the_token() -> None:
    """A known vector: SHA-256("test")."""
    assert hash_token("test") == TOKEN_HASH


def test_token_hash_encodes_text_as_utf8() -> None:
    """Non-ASCII tokens hash their UTF-8 bytes: SHA-256 of b"\\xc3\\xa9"."""
    assert hash_token("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"


@given(st.text())
def test_token_hash_is_64_lower_case_hex_digits(raw: str) -> None:
    """Whatever the token, the stored hash has the same fixed shape."""
    digest = hash_token(raw)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


# --- new_session -----------------------------------------------------------------------------


def test_a_new_session_lives_for_its_ttl_and_counts_as_seen() -> None:
    """created_at and last_seen_at are now; expires_at is now + ttl; nothing is revoked."""
    session = new_session(
        id=SESSION_ID,
        user_id=USER_ID,
        token_hash=TOKEN_HASH,
        now=NOW,
        ttl_seconds=3600,
        ip="203.0.113.7",
        user_agent="curl/8.5.0",
    )
    assert session == Session(
        id=SESSION_ID,
        user_id=USER_ID,
        token_hash=TOKEN_HASH,
        created_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        last_seen_at=NOW,
        revoked_at=None,
        ip="203.0.113.7",
        user_agent="curl/8.5.0",
    )


def test_a_new_session_clips_an_oversized_user_agent() -> None:
    """Clients control the header's size; the stored value is bounded."""
    session = new_session(
        id=SESSION_ID,
        user_id=USER_ID,
        token_hash=TOKEN_HASH,
        now=NOW,
        ttl_seconds=60,
        ip=None,
        user_agent="x" * 10_000,
    )
    assert session.user_agent == "x" * MAX_USER_AGENT_LENGTH


@pytest.mark.parametrize("ttl", [0, -1])
def test_a_session_ttl_must_be_positive(ttl: int) -> None:
    """A session born expired is a configuration bug, reported loudly."""
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        new_session(
            id=SESSION_ID,
            user_id=USER_ID,
            token_hash=TOKEN_HASH,
            now=NOW,
            ttl_seconds=ttl,
            ip=None,
            user_agent=None,
        )


# --- check_session ---------------------------------------------------------------------------


def test_a_live_session_is_returned_as_is() -> None:
    """Not revoked and not expired: the session itself comes back."""
    session = make_session()
    assert check_session(session, NOW) is session


def test_a_missing_session_is_not_found() -> None:
    """A deleted row or an unknown token hash."""
    assert check_session(None, NOW) == Invalid("not_found")


def test_a_revoked_session_is_refused_even_before_it_expires() -> None:
    """Logout and revocation end a session at once."""
    assert check_session(make_session(revoked_at=NOW - timedelta(seconds=1)), NOW) == Invalid(
        "revoked"
    )


def test_revocation_is_reported_before_expiry() -> None:
    """A session both revoked and expired reports `revoked`, the more specific fact."""
    session = make_session(revoked_at=NOW - timedelta(hours=2), expires_at=NOW - timedelta(hours=1))
    assert check_session(session, NOW) == Invalid("revoked")


def test_a_session_expires_exactly_at_expires_at() -> None:
    """Expiry is exclusive: one microsecond before is live, the instant itself is not."""
    session = make_session(expires_at=NOW)
    assert check_session(session, NOW) == Invalid("expired")
    assert check_session(session, NOW - timedelta(microseconds=1)) is session


# --- check_session_for_user ------------------------------------------------------------------


def test_a_live_session_of_an_active_user_is_accepted() -> None:
    """The per-request check passes for the normal case."""
    session = make_session()
    assert check_session_for_user(session, make_user(), now=NOW, token_role="user") is session


def test_the_session_checks_come_first() -> None:
    """A dead session is reported as such whatever state the user is in."""
    session = make_session(revoked_at=NOW)
    deleted = make_user(deleted_at=NOW)
    assert check_session_for_user(session, deleted, now=NOW) == Invalid("revoked")


def test_a_missing_user_is_not_found() -> None:
    """A session whose user row is gone cannot authenticate."""
    assert check_session_for_user(make_session(), None, now=NOW) == Invalid("not_found")


def test_a_session_of_another_user_is_not_found() -> None:
    """A mismatched pair (a shell bug) is refused, never trusted."""
    other = make_user(id=OTHER_USER_ID)
    assert check_session_for_user(make_session(), other, now=NOW) == Invalid("not_found")


def test_a_soft_deleted_user_is_refused() -> None:
    """Deletion takes effect on the very next request."""
    user = make_user(deleted_at=NOW - timedelta(seconds=1))
    assert check_session_for_user(make_session(), user, now=NOW) == Invalid("user_deleted")


def test_deletion_is_reported_before_deactivation() -> None:
    """A deleted, inactive user reports `user_deleted`."""
    user = make_user(deleted_at=NOW, active=False)
    assert check_session_for_user(make_session(), user, now=NOW) == Invalid("user_deleted")


def test_an_inactive_user_is_refused() -> None:
    """Deactivation takes effect on the very next request."""
    user = make_user(active=False)
    assert check_session_for_user(make_session(), user, now=NOW) == Invalid("user_inactive")


@pytest.mark.parametrize(
    ("token_role", "user_role"), [("admin", "user"), ("admin", "viewer"), ("viewer", "admin")]
)
def test_a_token_minted_for_another_role_is_refused(token_role: str, user_role: str) -> None:
    """Any role change (a downgrade above all) invalidates tokens minted before it."""
    user = make_user(role=user_role)
    result = check_session_for_user(make_session(), user, now=NOW, token_role=token_role)
    assert result == Invalid("role_changed")


def test_without_a_token_role_the_role_is_not_compared() -> None:
    """Refresh has only the session token; it mints a token with the current role."""
    session = make_session()
    assert check_session_for_user(session, make_user(role="admin"), now=NOW) is session


def test_a_locked_account_keeps_its_sessions() -> None:
    """Lockout stops password guessing; it must not let a guesser log the owner out."""
    session = make_session()
    user = make_user(lockout_until=NOW + timedelta(minutes=15), failed_login_count=10)
    assert check_session_for_user(session, user, now=NOW, token_role="user") is session


# --- should_touch, touch, revoke -------------------------------------------------------------


def test_a_session_never_seen_is_touched() -> None:
    """No last_seen_at yet: record it."""
    assert should_touch(make_session(last_seen_at=None), NOW)


def test_a_session_seen_within_the_interval_is_not_touched() -> None:
    """At most one write per minute, not one per request."""
    assert not should_touch(make_session(last_seen_at=NOW - timedelta(seconds=59)), NOW)
    assert not should_touch(make_session(last_seen_at=NOW), NOW)


def test_a_session_seen_an_interval_ago_is_touched() -> None:
    """Sixty seconds or more since the last write: write again."""
    assert should_touch(make_session(last_seen_at=NOW - timedelta(seconds=60)), NOW)
    assert should_touch(make_session(last_seen_at=NOW - timedelta(days=1)), NOW)


def test_the_touch_interval_is_configurable() -> None:
    """A longer interval means fewer writes."""
    session = make_session(last_seen_at=NOW - timedelta(seconds=120))
    assert not should_touch(session, NOW, interval_seconds=300)
    assert should_touch(session, NOW, interval_seconds=120)


def test_a_last_seen_in_the_future_is_not_touched() -> None:
    """Clock skew between replicas never moves last_seen_at backwards."""
    assert not should_touch(make_session(last_seen_at=NOW + timedelta(seconds=5)), NOW)


def test_touching_records_now_and_nothing_else() -> None:
    """Only last_seen_at changes."""
    session = make_session()
    assert touch(session, NOW) == replace(session, last_seen_at=NOW)


def test_rotating_swaps_the_token_hash_and_remembers_the_old_one() -> None:
    """A refresh: the new hash is the session's, the old one kept for reuse detection, and
    the session counts as seen; nothing else changes."""
    session = make_session(previous_token_hash="older")
    rotated = rotate(session, new_token_hash="newer", now=NOW)
    assert rotated == replace(
        session, token_hash="newer", previous_token_hash=TOKEN_HASH, last_seen_at=NOW
    )


def test_revoking_records_when() -> None:
    """revoked_at becomes now."""
    session = make_session()
    assert revoke(session, NOW) == replace(session, revoked_at=NOW)


def test_revoking_twice_keeps_the_first_time() -> None:
    """Revocation is idempotent: the original moment is the fact worth keeping."""
    first = NOW - timedelta(minutes=3)
    session = make_session(revoked_at=first)
    assert revoke(session, NOW) is session


def test_a_revoked_session_fails_the_check() -> None:
    """revoke and check_session agree."""
    assert check_session(revoke(make_session(), NOW), NOW) == Invalid("revoked")


@given(ttl=st.integers(min_value=1, max_value=10**7), offset=st.integers(-(10**7), 2 * 10**7))
def test_a_new_session_is_live_exactly_until_its_ttl(ttl: int, offset: int) -> None:
    """For any ttl and moment: live strictly before now + ttl, expired from then on."""
    session = new_session(
        id=SESSION_ID,
        user_id=USER_ID,
        token_hash=TOKEN_HASH,
        now=NOW,
        ttl_seconds=ttl,
        ip=None,
        user_agent=None,
    )
    later = NOW + timedelta(seconds=offset)
    result = check_session(session, later)
    assert (result is session) == (offset < ttl)
