"""User core login decisions: success, failures, MFA and the time-bounded lockout."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.user.core.login import (
    LoginAttempt,
    LoginDecision,
    LoginFailed,
    LoginSucceeded,
    MfaCode,
    MfaRequired,
    decide_login,
    is_locked,
)
from boundary.user.core.model import User
from tests.fakes import builders
from tests.fakes.builders import NOW

CREATED = NOW - timedelta(days=30)
USER_ID = UUID("00000000-0000-4000-8000-000000000001")
THRESHOLD = 10
LOCKOUT_SECONDS = 900
LOCK_ENDS = NOW + timedelta(seconds=LOCKOUT_SECONDS)


make_user = partial(
    builders.make_user,
    id=USER_ID,
    email="alice@example.com",
    name="Alice",
    login_count=4,
    last_login=NOW - timedelta(days=2),
    created_at=CREATED,
    updated_at=CREATED,
)


def attempt(
    user: User | None,
    *,
    password_ok: bool = True,
    mfa: MfaCode = "missing",
    now: datetime = NOW,
    threshold: int = THRESHOLD,
) -> LoginDecision:
    return decide_login(
        LoginAttempt(
            user=user,
            password_ok=password_ok,
            mfa=mfa,
            now=now,
            threshold=threshold,
            lockout_seconds=LOCKOUT_SECONDS,
        )
    )


# --- success ---------------------------------------------------------------------------------


def test_the_right_password_succeeds_and_records_the_login() -> None:
    """Counters reset, login_count + 1, last_login and updated_at become now."""
    user = make_user(failed_login_count=3)
    assert attempt(user) == LoginSucceeded(
        user=replace(
            user,
            failed_login_count=0,
            lockout_until=None,
            login_count=5,
            last_login=NOW,
            updated_at=NOW,
        )
    )


def test_success_after_an_expired_lock_clears_it() -> None:
    """A lock that has run out is gone once the owner logs in."""
    user = make_user(failed_login_count=THRESHOLD, lockout_until=NOW - timedelta(seconds=1))
    result = attempt(user)
    assert isinstance(result, LoginSucceeded)
    assert (result.user.failed_login_count, result.user.lockout_until) == (0, None)


def test_a_lock_ends_exactly_at_lockout_until() -> None:
    """At the instant the lock expires the right password works again."""
    user = make_user(failed_login_count=THRESHOLD, lockout_until=NOW)
    assert isinstance(attempt(user), LoginSucceeded)
    assert not is_locked(user, NOW)
    assert is_locked(user, NOW - timedelta(microseconds=1))


def test_an_mfa_code_is_ignored_for_a_user_without_mfa() -> None:
    """A stray `mfa_code` neither helps nor hurts when MFA is off."""
    user = make_user()
    assert isinstance(attempt(user, mfa="invalid"), LoginSucceeded)


# --- failures that change nothing ------------------------------------------------------------


def test_an_unknown_email_fails_with_nothing_to_save() -> None:
    """No user, no counters: the shell still verified a dummy hash for equal timing."""
    assert attempt(None) == LoginFailed(user=None, reason="unknown_email", locked_now=False)


@pytest.mark.parametrize("password_ok", [True, False])
def test_a_deleted_user_always_fails_unchanged(password_ok: bool) -> None:
    """Soft-deleted accounts cannot log in and collect no failures."""
    user = make_user(deleted_at=NOW - timedelta(days=1), active=False)
    assert attempt(user, password_ok=password_ok) == LoginFailed(user=None, reason="deleted")


@pytest.mark.parametrize("password_ok", [True, False])
def test_an_inactive_user_always_fails_unchanged(password_ok: bool) -> None:
    """Deactivated accounts cannot log in and collect no failures."""
    user = make_user(active=False)
    assert attempt(user, password_ok=password_ok) == LoginFailed(user=None, reason="inactive")


def test_inactive_is_reported_before_locked() -> None:
    """The account's state outranks its lock in the audit reason."""
    user = make_user(active=False, lockout_until=LOCK_ENDS)
    assert attempt(user) == LoginFailed(user=None, reason="inactive")


@pytest.mark.parametrize(
    ("password_ok", "mfa"), [(True, "valid"), (True, "missing"), (False, "missing")]
)
def test_a_locked_account_fails_even_with_the_right_credentials(
    password_ok: bool, mfa: MfaCode
) -> None:
    """While locked nothing gets in, and nothing is counted or extended."""
    user = make_user(mfa_enabled=True, failed_login_count=THRESHOLD, lockout_until=LOCK_ENDS)
    result = attempt(user, password_ok=password_ok, mfa=mfa)
    assert result == LoginFailed(user=None, reason="locked", locked_now=False)


def test_failures_during_a_lock_do_not_extend_it() -> None:
    """Ten more wrong passwords a minute before the end leave lockout_until alone."""
    user = make_user(failed_login_count=THRESHOLD, lockout_until=NOW + timedelta(minutes=1))
    for second in range(10):
        result = attempt(user, password_ok=False, now=NOW + timedelta(seconds=second))
        assert result == LoginFailed(user=None, reason="locked")


# --- counting failures -----------------------------------------------------------------------


def test_a_wrong_password_counts_one_failure() -> None:
    """failed_login_count + 1 and updated_at now; no lock below the threshold."""
    user = make_user(failed_login_count=2)
    assert attempt(user, password_ok=False) == LoginFailed(
        user=replace(user, failed_login_count=3, updated_at=NOW),
        reason="bad_password",
        locked_now=False,
    )


def test_reaching_the_threshold_locks_the_account() -> None:
    """The tenth failure locks for lockout_seconds from that failure."""
    user = make_user(failed_login_count=THRESHOLD - 1)
    assert attempt(user, password_ok=False) == LoginFailed(
        user=replace(user, failed_login_count=THRESHOLD, lockout_until=LOCK_ENDS, updated_at=NOW),
        reason="bad_password",
        locked_now=True,
    )


def test_a_threshold_of_one_locks_on_the_first_failure() -> None:
    """The smallest threshold is honoured exactly."""
    result = attempt(make_user(), password_ok=False, threshold=1)
    assert isinstance(result, LoginFailed)
    assert result.locked_now


def test_a_failure_after_an_expired_lock_counts_from_one() -> None:
    """An old lock does not make the next mistake lock again at once."""
    user = make_user(failed_login_count=THRESHOLD, lockout_until=NOW - timedelta(minutes=1))
    assert attempt(user, password_ok=False) == LoginFailed(
        user=replace(user, failed_login_count=1, lockout_until=None, updated_at=NOW),
        reason="bad_password",
        locked_now=False,
    )


def test_a_count_above_the_threshold_without_a_lock_locks_on_the_next_failure() -> None:
    """A lowered threshold takes effect on the next failure."""
    user = make_user(failed_login_count=THRESHOLD + 5)
    result = attempt(user, password_ok=False)
    assert isinstance(result, LoginFailed)
    assert result.locked_now
    assert result.user is not None
    assert result.user.lockout_until == LOCK_ENDS


def test_ten_wrong_passwords_in_a_row_lock_and_the_eleventh_is_refused() -> None:
    """Feeding each saved row into the next attempt, as the shell does."""
    user = make_user()
    for number in range(1, THRESHOLD + 1):
        result = attempt(user, password_ok=False, now=NOW + timedelta(seconds=number))
        assert isinstance(result, LoginFailed)
        assert result.user is not None
        assert result.locked_now == (number == THRESHOLD)
        user = result.user
    assert user.lockout_until == NOW + timedelta(seconds=THRESHOLD + LOCKOUT_SECONDS)
    eleventh = attempt(user, now=NOW + timedelta(seconds=THRESHOLD + 1))
    assert eleventh == LoginFailed(user=None, reason="locked")


# --- MFA -------------------------------------------------------------------------------------


def test_a_right_password_without_a_code_asks_for_one() -> None:
    """The first half of an MFA login: no failure is counted, nothing is saved."""
    user = make_user(mfa_enabled=True, mfa_secret="JBSWY3DPEHPK3PXP", failed_login_count=2)
    assert attempt(user, mfa="missing") == MfaRequired(user=None)


def test_a_right_password_and_code_succeed() -> None:
    """Both factors: a normal success."""
    user = make_user(mfa_enabled=True, mfa_secret="JBSWY3DPEHPK3PXP")
    result = attempt(user, mfa="valid")
    assert isinstance(result, LoginSucceeded)
    assert result.user.login_count == 5


def test_a_wrong_code_counts_as_a_failure_and_asks_again() -> None:
    """Guessing TOTP codes is counted like guessing passwords."""
    user = make_user(mfa_enabled=True, mfa_secret="JBSWY3DPEHPK3PXP", failed_login_count=4)
    assert attempt(user, mfa="invalid") == MfaRequired(
        user=replace(user, failed_login_count=5, updated_at=NOW)
    )


def test_a_wrong_code_that_reaches_the_threshold_locks() -> None:
    """Then the answer is the generic failure, not another chance to guess."""
    user = make_user(mfa_enabled=True, failed_login_count=THRESHOLD - 1)
    assert attempt(user, mfa="invalid") == LoginFailed(
        user=replace(user, failed_login_count=THRESHOLD, lockout_until=LOCK_ENDS, updated_at=NOW),
        reason="bad_mfa_code",
        locked_now=True,
    )


def test_a_wrong_password_on_an_mfa_account_is_a_plain_failure() -> None:
    """The code is never considered, and the client is not told MFA is on."""
    user = make_user(mfa_enabled=True)
    result = attempt(user, password_ok=False, mfa="valid")
    assert isinstance(result, LoginFailed)
    assert result.reason == "bad_password"


# --- invariants ------------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "seconds"), [(0, 900), (-1, 900), (10, 0), (10, -5)])
def test_a_nonsensical_policy_is_a_programming_error(threshold: int, seconds: int) -> None:
    """Configuration validation should have caught it; the core refuses loudly too."""
    with pytest.raises(ValueError, match="must be"):
        LoginAttempt(
            user=None, password_ok=False, now=NOW, threshold=threshold, lockout_seconds=seconds
        )


_STATES = st.builds(
    make_user,
    active=st.booleans(),
    deleted_at=st.sampled_from([None, NOW - timedelta(days=1)]),
    mfa_enabled=st.booleans(),
    failed_login_count=st.integers(min_value=0, max_value=2 * THRESHOLD),
    lockout_until=st.sampled_from(
        [None, NOW - timedelta(seconds=1), NOW, NOW + timedelta(seconds=1), LOCK_ENDS]
    ),
)


@given(
    user=_STATES,
    password_ok=st.booleans(),
    mfa=st.sampled_from(["missing", "invalid", "valid"]),
)
def test_login_invariants_hold_for_any_account_state(
    user: User, password_ok: bool, mfa: MfaCode
) -> None:
    """Only correct factors on a usable, unlocked account succeed; locks never move later."""
    result = attempt(user, password_ok=password_ok, mfa=mfa)
    usable = user.active and user.deleted_at is None and not is_locked(user, NOW)
    factors_ok = password_ok and (not user.mfa_enabled or mfa == "valid")
    assert isinstance(result, LoginSucceeded) == (usable and factors_ok)
    saved = result.user
    if is_locked(user, NOW) or not usable:
        assert saved is None
    if saved is not None and saved.lockout_until is not None:
        assert saved.lockout_until == LOCK_ENDS  # only a new lock is ever written
    locked_now = isinstance(result, LoginFailed) and result.locked_now
    assert locked_now == (saved is not None and saved.lockout_until == LOCK_ENDS)
