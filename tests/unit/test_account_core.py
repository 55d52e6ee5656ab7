"""Account core: tokens are stored hashed, redeemable once, before expiry, for their kind and
the address they were sent to; the hourly limit; the link."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from boundary.account import core

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
RAW = "A202mkkJ0T-brfCTZj5sfzpUtyZpigviktythxKyDpY"


def token(**changes: object) -> core.AccountToken:
    made = core.new_token(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        kind="password_reset",
        raw=RAW,
        email="Ann@example.com",
        now=T0,
        ttl=1800,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_only_the_hash_is_kept() -> None:
    made = token()
    assert made.token_hash == core.hash_token(RAW)
    assert RAW not in made.token_hash
    assert len(made.token_hash) == 64


def test_a_fresh_token_is_redeemable_until_it_expires() -> None:
    made = token()
    assert (
        core.check_token(made, kind="password_reset", now=T0, current_email="ann@example.com")
        is None
    )
    at_expiry = T0 + timedelta(seconds=1800)
    assert (
        core.check_token(
            made, kind="password_reset", now=at_expiry, current_email="ann@example.com"
        )
        == "expired"
    )


def test_refusals() -> None:
    ok = {"now": T0, "current_email": "ann@example.com"}
    assert core.check_token(None, kind="password_reset", **ok) == "unknown"  # type: ignore[arg-type]
    assert core.check_token(token(), kind="email_verification", **ok) == "wrong_kind"  # type: ignore[arg-type]
    assert core.check_token(token(used_at=T0), kind="password_reset", **ok) == "used"  # type: ignore[arg-type]
    assert (
        core.check_token(token(), kind="password_reset", now=T0, current_email="bob@example.com")
        == "email_changed"
    )


def test_three_mails_an_hour() -> None:
    assert [core.may_send(n) for n in range(5)] == [True, True, True, False, False]


@given(st.text(max_size=300))
def test_well_formed_tokens_are_url_safe_and_bounded(raw: str) -> None:
    if core.well_formed(raw):
        assert 0 < len(raw) <= core.MAX_TOKEN_LENGTH
        assert all(c.isalnum() or c in "-_" for c in raw)


def test_the_link_is_below_the_public_url() -> None:
    assert (
        core.link("https://id.example.org/", "password_reset", RAW)
        == f"https://id.example.org/account/reset-password?token={RAW}"
    )
    assert core.link("http://localhost:3000", "email_verification", "a-b_c").endswith(
        "/account/verify-email?token=a-b_c"
    )
