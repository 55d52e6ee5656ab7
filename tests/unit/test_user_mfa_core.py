"""User core MFA: backup codes and the setup → enable → disable lifecycle, as plain values."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from functools import partial
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.user.core.mfa import (
    BACKUP_CODE_BYTES,
    BACKUP_CODE_COUNT,
    MFA_REQUIRED_SLUG,
    MfaStatus,
    Refused,
    begin_setup,
    can_disable,
    can_enable,
    code_kind,
    disable,
    enable,
    format_backup_code,
    hash_backup_code,
    match_backup_code,
    normalize_code,
    status,
)
from boundary.user.core.model import User
from tests.fakes import builders
from tests.fakes.builders import NOW

CREATED = NOW - timedelta(days=30)
USER_ID = UUID("00000000-0000-4000-8000-000000000001")
SECRET = "JBSWY3DPEHPK3PXP"
NEW_SECRET = "KRSXG5CTMVRXEZLU"


make_user = partial(
    builders.make_user,
    id=USER_ID,
    email="alice@example.com",
    name="Alice",
    created_at=CREATED,
    updated_at=CREATED,
)


PENDING = make_user(mfa_secret=SECRET)
ENABLED = make_user(mfa_secret=SECRET, mfa_enabled=True)


# --- constants -------------------------------------------------------------------------------


def test_the_mfa_problem_slug_is_what_clients_match() -> None:
    """The login 401's problem type ends in `mfa-required` (CONTRACT §13)."""
    assert MFA_REQUIRED_SLUG == "mfa-required"


def test_ten_backup_codes_of_48_bits_are_issued() -> None:
    """§5: enable returns ten one-time codes; six random bytes make twelve hex digits."""
    assert (BACKUP_CODE_COUNT, BACKUP_CODE_BYTES) == (10, 6)


# --- code handling ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("a1b2-c3d4-e5f6", "a1b2c3d4e5f6"),
        ("  A1B2 C3D4\tE5F6 \n", "a1b2c3d4e5f6"),
        ("123 456", "123456"),
        ("", ""),
    ],
)
def test_codes_are_compared_without_case_dashes_or_spaces(raw: str, normalized: str) -> None:
    """What people retype from paper varies; the comparison does not."""
    assert normalize_code(raw) == normalized


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (None, "missing"),
        ("", "missing"),
        ("  - ", "missing"),
        ("123456", "totp"),
        (" 123 456 ", "totp"),
        ("12345", "backup"),
        ("1234567", "backup"),
        ("a1b2-c3d4-e5f6", "backup"),
        ("١٢٣٤٥٦", "backup"),
    ],
)
def test_code_kind_tells_totp_from_backup_codes(code: str | None, kind: str) -> None:
    """Six ASCII digits are TOTP; anything else non-blank is tried as a backup code."""
    assert code_kind(code) == kind


def test_a_backup_code_hash_is_the_sha256_of_the_normalised_code() -> None:
    """Stored hashes are plain SHA-256 hex of the lower-case code without separators."""
    expected = hashlib.sha256(b"a1b2c3d4e5f6").hexdigest()
    assert hash_backup_code("A1B2-C3D4-E5F6") == expected
    assert hash_backup_code("a1b2c3d4e5f6") == expected


@pytest.mark.parametrize(
    ("raw", "formatted"),
    [
        ("a1b2c3d4e5f6", "a1b2-c3d4-e5f6"),
        ("A1B2C3D4", "a1b2-c3d4"),
        ("ABCDEFGHIJKLMNOP", "abcd-efgh-ijkl-mnop"),
        ("a1b2c", "a1b2-c"),
        ("a1b2-c3d4-e5f6", "a1b2-c3d4-e5f6"),
    ],
)
def test_backup_codes_are_shown_in_groups_of_four(raw: str, formatted: str) -> None:
    """Hex or base32 alike, lower-cased and dash-grouped for reading aloud."""
    assert format_backup_code(raw) == formatted


@given(st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=32))
def test_a_formatted_code_hashes_like_the_raw_one(raw: str) -> None:
    """What the user is shown matches what was stored, with or without the dashes."""
    shown = format_backup_code(raw)
    assert hash_backup_code(shown) == hash_backup_code(raw)
    assert hash_backup_code(shown.upper().replace("-", " ")) == hash_backup_code(raw)
    assert format_backup_code(shown) == shown


def test_an_unused_backup_code_matches_its_stored_value() -> None:
    """The lookup returns whatever the shell stored under the hash, e.g. the row id."""
    unused = {hash_backup_code("a1b2c3d4e5f6"): 7, hash_backup_code("ffff00001111"): 8}
    assert match_backup_code("A1B2-C3D4-E5F6", unused) == 7
    assert match_backup_code(" ffff 0000 1111 ", unused) == 8


def test_an_unknown_or_used_backup_code_does_not_match() -> None:
    """Used codes are simply absent from the mapping."""
    unused = {hash_backup_code("a1b2c3d4e5f6"): 7}
    assert match_backup_code("a1b2c3d4e5f7", unused) is None
    assert match_backup_code("a1b2c3d4e5f6", {}) is None


def test_a_blank_code_never_matches() -> None:
    """Even if someone stored the hash of the empty string."""
    unused = {hash_backup_code(""): 1}
    assert match_backup_code("", unused) is None
    assert match_backup_code(" - ", unused) is None


# --- setup -----------------------------------------------------------------------------------


def test_setup_stores_a_pending_secret() -> None:
    """The secret is saved but MFA stays off until a code proves the app has it."""
    user = make_user()
    assert begin_setup(user, secret=SECRET, now=NOW) == replace(
        user, mfa_secret=SECRET, updated_at=NOW
    )


def test_setup_again_replaces_a_pending_secret() -> None:
    """A user who lost the QR code starts over."""
    result = begin_setup(PENDING, secret=NEW_SECRET, now=NOW)
    assert isinstance(result, User)
    assert (result.mfa_secret, result.mfa_enabled) == (NEW_SECRET, False)


def test_setup_is_refused_while_mfa_is_on() -> None:
    """It would silently replace the secret the user's app relies on."""
    assert begin_setup(ENABLED, secret=NEW_SECRET, now=NOW) == Refused("already_enabled")


# --- enable ----------------------------------------------------------------------------------


def test_enabling_verifies_against_the_pending_secret() -> None:
    """can_enable hands the shell the secret to check the code with."""
    assert can_enable(PENDING) == SECRET


def test_a_right_code_enables_mfa() -> None:
    """mfa_enabled becomes true and updated_at now; the secret stays."""
    assert enable(PENDING, code_ok=True, now=NOW) == replace(
        PENDING, mfa_enabled=True, updated_at=NOW
    )


def test_a_wrong_code_does_not_enable_mfa() -> None:
    """`bad_code` becomes the 422 of §5."""
    assert enable(PENDING, code_ok=False, now=NOW) == Refused("bad_code")


def test_enabling_without_setup_is_refused() -> None:
    """There is no secret to verify against."""
    user = make_user()
    assert can_enable(user) == Refused("not_set_up")
    assert enable(user, code_ok=True, now=NOW) == Refused("not_set_up")


def test_enabling_twice_is_refused() -> None:
    """A second enable would reissue backup codes without a setup."""
    assert can_enable(ENABLED) == Refused("already_enabled")
    assert enable(ENABLED, code_ok=True, now=NOW) == Refused("already_enabled")


# --- disable ---------------------------------------------------------------------------------


def test_disabling_verifies_against_the_active_secret() -> None:
    """can_disable hands the shell the secret a TOTP code must match."""
    assert can_disable(ENABLED) == SECRET


def test_a_right_code_disables_mfa_and_forgets_the_secret() -> None:
    """Off means off: no secret left behind to be reused."""
    assert disable(ENABLED, code_ok=True, now=NOW) == replace(
        ENABLED, mfa_enabled=False, mfa_secret=None, updated_at=NOW
    )


def test_a_wrong_code_does_not_disable_mfa() -> None:
    """The second factor protects its own removal."""
    assert disable(ENABLED, code_ok=False, now=NOW) == Refused("bad_code")


@pytest.mark.parametrize("user", [make_user(), PENDING], ids=["never-set-up", "pending"])
def test_disabling_mfa_that_is_off_is_refused(user: User) -> None:
    """Nothing to disable, and a pending secret is not an active one."""
    assert can_disable(user) == Refused("not_enabled")
    assert disable(user, code_ok=True, now=NOW) == Refused("not_enabled")


# --- status ----------------------------------------------------------------------------------


def test_status_reports_enabled_and_remaining_codes() -> None:
    """The body of GET /auth/mfa/status."""
    assert status(ENABLED, backup_codes_remaining=7) == MfaStatus(
        enabled=True, backup_codes_remaining=7
    )


def test_status_reports_no_codes_while_mfa_is_off() -> None:
    """Leftover codes from a pending or old setup are not usable, so they are not counted."""
    assert status(PENDING, backup_codes_remaining=10) == MfaStatus(
        enabled=False, backup_codes_remaining=0
    )
