"""User core tokens: access-token claims built and checked as plain data, at a fixed clock."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.user.core.sessions import Invalid
from boundary.user.core.tokens import (
    ACCESS,
    MAX_IAT_SKEW_SECONDS,
    REQUIRED_CLAIMS,
    TOKEN_TYPE_CLAIM,
    AccessClaims,
    access_claims,
    check_claims,
)
from tests.fakes.builders import NOW

NOW_EPOCH = 1767441600
USER_ID = UUID("00000000-0000-4000-8000-000000000001")
SESSION_ID = UUID("00000000-0000-4000-8000-0000000000aa")
JTI = "3f2a9c4e8b1d4e6f"


def make_claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "sub": str(USER_ID),
        "sid": str(SESSION_ID),
        "role": "user",
        "iat": NOW_EPOCH,
        "exp": NOW_EPOCH + 900,
        "jti": JTI,
        "token_type": "access",
    }
    claims.update(overrides)
    return claims


# --- access_claims ---------------------------------------------------------------------------


def test_access_claims_are_the_contracts_seven_claims() -> None:
    """sub, sid, role, iat, exp, jti and the token type, with ids as strings, times as ints."""
    claims = access_claims(
        user_id=USER_ID, session_id=SESSION_ID, role="user", now=NOW, ttl_seconds=900, jti=JTI
    )
    assert NOW.timestamp() == NOW_EPOCH
    assert claims == make_claims()


def test_the_token_type_claim_marks_an_access_token() -> None:
    """The claim name and value the shell and other services agree on."""
    assert TOKEN_TYPE_CLAIM == "token_type"
    assert ACCESS == "access"
    assert set(REQUIRED_CLAIMS) == set(make_claims())


def test_fractional_seconds_are_dropped_from_iat() -> None:
    """NumericDate is whole seconds; exp is iat plus the ttl exactly."""
    claims = access_claims(
        user_id=USER_ID,
        session_id=SESSION_ID,
        role="admin",
        now=NOW + timedelta(milliseconds=999),
        ttl_seconds=60,
        jti=JTI,
    )
    assert (claims["iat"], claims["exp"]) == (NOW_EPOCH, NOW_EPOCH + 60)


@pytest.mark.parametrize("ttl", [0, -5])
def test_an_access_token_ttl_must_be_positive(ttl: int) -> None:
    """A token born expired is a configuration bug, reported loudly."""
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        access_claims(
            user_id=USER_ID, session_id=SESSION_ID, role="user", now=NOW, ttl_seconds=ttl, jti=JTI
        )


# --- check_claims: the happy path ------------------------------------------------------------


def test_valid_claims_come_back_typed() -> None:
    """UUIDs parsed, times as UTC datetimes, role checked."""
    assert check_claims(make_claims(), NOW) == AccessClaims(
        user_id=USER_ID,
        session_id=SESSION_ID,
        role="user",
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=900),
        jti=JTI,
    )


def test_claims_made_here_pass_the_check_here() -> None:
    """access_claims and check_claims agree on every claim."""
    claims = access_claims(
        user_id=USER_ID, session_id=SESSION_ID, role="viewer", now=NOW, ttl_seconds=900, jti=JTI
    )
    result = check_claims(claims, NOW + timedelta(seconds=899))
    assert isinstance(result, AccessClaims)
    assert (result.user_id, result.session_id, result.role) == (USER_ID, SESSION_ID, "viewer")


def test_extra_claims_are_ignored() -> None:
    """Registered claims such as `iss` or `nbf` neither help nor hurt."""
    assert isinstance(check_claims(make_claims(iss="boundary", nbf=NOW_EPOCH), NOW), AccessClaims)


# --- check_claims: refusals ------------------------------------------------------------------


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_a_missing_claim_is_malformed(claim: str) -> None:
    """Every one of the seven claims is required."""
    claims = make_claims()
    del claims[claim]
    assert check_claims(claims, NOW) == Invalid("malformed")


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", 1),
        ("sub", "not-a-uuid"),
        ("sub", ""),
        ("sub", None),
        ("sid", str(USER_ID)[:-1]),
        ("sid", ["a"]),
        ("role", "root"),
        ("role", "Admin"),
        ("role", None),
        ("iat", float(NOW_EPOCH)),
        ("iat", True),
        ("iat", str(NOW_EPOCH)),
        ("exp", float(NOW_EPOCH + 900)),
        ("exp", "soon"),
        ("exp", 10**20),
        ("jti", ""),
        ("jti", 42),
        ("token_type", 1),
        ("token_type", None),
    ],
)
def test_a_claim_of_the_wrong_type_or_shape_is_malformed(claim: str, value: object) -> None:
    """Types are exact: no floats or booleans for times, no unknown roles, real UUIDs."""
    assert check_claims(make_claims(**{claim: value}), NOW) == Invalid("malformed")


def test_exp_not_after_iat_is_malformed() -> None:
    """We never mint a token that expires when (or before) it is issued."""
    assert check_claims(make_claims(exp=NOW_EPOCH), NOW) == Invalid("malformed")
    assert check_claims(make_claims(exp=NOW_EPOCH - 1), NOW) == Invalid("malformed")


@pytest.mark.parametrize("token_type", ["refresh", "session", "ACCESS", ""])
def test_a_token_of_another_type_is_refused(token_type: str) -> None:
    """Only `access` authenticates requests."""
    assert check_claims(make_claims(token_type=token_type), NOW) == Invalid("wrong_token_type")


def test_a_token_expires_at_exp_with_no_leeway() -> None:
    """Live a microsecond before exp; expired at exp itself."""
    exp = NOW + timedelta(seconds=900)
    assert isinstance(check_claims(make_claims(), exp - timedelta(microseconds=1)), AccessClaims)
    assert check_claims(make_claims(), exp) == Invalid("expired")
    assert check_claims(make_claims(), exp + timedelta(days=1)) == Invalid("expired")


def test_iat_may_lie_slightly_in_the_future() -> None:
    """Replicas' clocks drift a little: up to the allowed skew is accepted."""
    iat = NOW_EPOCH + MAX_IAT_SKEW_SECONDS
    assert isinstance(check_claims(make_claims(iat=iat, exp=iat + 900), NOW), AccessClaims)


def test_iat_further_in_the_future_is_not_yet_valid() -> None:
    """A token from beyond the skew was not minted by a sane clock."""
    iat = NOW_EPOCH + MAX_IAT_SKEW_SECONDS + 1
    assert check_claims(make_claims(iat=iat, exp=iat + 900), NOW) == Invalid("not_yet_valid")


def test_structure_is_checked_before_time() -> None:
    """An expired token with a bad claim reports `malformed`, the more fundamental fault."""
    late = NOW + timedelta(days=1)
    assert check_claims(make_claims(role="root"), late) == Invalid("malformed")


@given(
    ttl=st.integers(min_value=1, max_value=10**6),
    elapsed=st.integers(min_value=-(10**6), max_value=2 * 10**6),
)
def test_a_minted_token_is_valid_exactly_while_it_lives(ttl: int, elapsed: int) -> None:
    """For any ttl and moment: valid from (iat - skew) until just before exp, never after."""
    claims = access_claims(
        user_id=USER_ID, session_id=SESSION_ID, role="user", now=NOW, ttl_seconds=ttl, jti=JTI
    )
    result = check_claims(claims, NOW + timedelta(seconds=elapsed))
    if elapsed >= ttl:
        assert result == Invalid("expired")
    elif elapsed < -MAX_IAT_SKEW_SECONDS:
        assert result == Invalid("not_yet_valid")
    else:
        assert isinstance(result, AccessClaims)
