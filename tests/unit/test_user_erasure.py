"""Erasure (user core): what is left of an account, and the operator's unlock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from boundary.user.core import erasure, login
from boundary.user.core.model import User
from tests.fakes.builders import NOW

USER_ID = UUID("00000000-0000-4000-8000-000000000a11")
ALICE = User(
    id=USER_ID,
    email="alice@example.com",
    name="Alice Liddell",
    password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    role="admin",
    mfa_enabled=True,
    mfa_secret="JBSWY3DPEHPK3PXP",
    failed_login_count=3,
    lockout_until=NOW + timedelta(minutes=5),
    login_count=9,
    last_login=NOW - timedelta(days=1),
    created_at=NOW - timedelta(days=30),
    updated_at=NOW - timedelta(days=1),
)


def test_the_pseudonym_is_unique_per_account_and_no_mailbox() -> None:
    """`erased-<id hex>@erased.invalid`: one per id, under the reserved `.invalid` domain."""
    assert erasure.pseudonym(USER_ID) == f"erased-{USER_ID.hex}@erased.invalid"
    assert erasure.pseudonym(USER_ID) != erasure.pseudonym(UUID(int=1))


def test_erase_keeps_nothing_that_names_the_person() -> None:
    """Email, name, password and MFA secret are gone; the account is inactive and deleted."""
    erased = erasure.erase(ALICE, now=NOW)
    assert erased.id == ALICE.id
    assert erased.email == erasure.pseudonym(USER_ID)
    assert erased.name == ""
    assert erased.password_hash == erasure.UNUSABLE_PASSWORD_HASH
    assert (erased.mfa_enabled, erased.mfa_secret) == (False, None)
    assert (erased.active, erased.deleted_at, erased.updated_at) == (False, NOW, NOW)
    assert (erased.failed_login_count, erased.lockout_until, erased.last_login) == (0, None, None)
    assert erasure.is_erased(erased)
    assert not erasure.is_erased(ALICE)


def test_erase_keeps_an_earlier_deletion_time() -> None:
    """A soft-deleted account keeps when it was deleted."""
    deleted = replace(ALICE, deleted_at=NOW - timedelta(days=2), active=False)
    assert erasure.erase(deleted, now=NOW).deleted_at == NOW - timedelta(days=2)


def test_unlock_clears_the_lock_and_the_count() -> None:
    unlocked = login.unlock(ALICE, NOW)
    assert (unlocked.failed_login_count, unlocked.lockout_until, unlocked.updated_at) == (
        0,
        None,
        NOW,
    )
    assert not login.is_locked(unlocked, NOW)


def test_unlock_of_a_clean_account_is_the_same_row() -> None:
    """Nothing to clear: the same row, so the service writes nothing."""
    clean = replace(ALICE, failed_login_count=0, lockout_until=None)
    assert login.unlock(clean, NOW) is clean
