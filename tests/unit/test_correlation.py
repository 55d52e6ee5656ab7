"""Correlation ids: which incoming ids are accepted, and when a new one is minted."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.correlation import choose_correlation_id, is_valid_correlation_id

ALLOWED = string.ascii_letters + string.digits + "._-"

allowed_ids = st.text(alphabet=ALLOWED, min_size=1, max_size=128)
# Mostly allowed characters with some of anything else mixed in, and lengths around the limit,
# so both sides of every rule are exercised.
near_misses = st.text(alphabet=st.sampled_from(ALLOWED) | st.characters(), min_size=0, max_size=140)


def accepted_by_contract(value: str) -> bool:
    """The contract's rule, written independently of the implementation."""
    return 1 <= len(value) <= 128 and all(c in ALLOWED for c in value)


@given(allowed_ids)
def test_every_short_id_of_allowed_characters_is_valid(value: str) -> None:
    """1–128 characters of [A-Za-z0-9._-] are always accepted."""
    assert is_valid_correlation_id(value)


@given(near_misses)
def test_validator_agrees_with_the_contract(value: str) -> None:
    """Accepted exactly when ≤128 characters of the allowed alphabet, non-empty."""
    assert is_valid_correlation_id(value) == accepted_by_contract(value)


@given(st.text(alphabet=ALLOWED, min_size=129, max_size=300))
def test_ids_longer_than_128_are_rejected(value: str) -> None:
    """Length alone disqualifies an id."""
    assert not is_valid_correlation_id(value)


@pytest.mark.parametrize(
    "value",
    ["", " ", "abc\n", "abc def", "a/b", "ä", "id;drop", "a\r\nSet-Cookie: x=1", "x" * 129],
)
def test_rejected_examples(value: str) -> None:
    """Empty, whitespace, separators, non-ASCII, header injection and overlong ids."""
    assert not is_valid_correlation_id(value)


@pytest.mark.parametrize("value", ["a", "req-1.2_3", "x" * 128, "0f3c2a9d8e7b4c1a"])
def test_accepted_examples(value: str) -> None:
    assert is_valid_correlation_id(value)


def test_valid_incoming_id_is_kept() -> None:
    """The client's id is echoed and no new id is made."""
    assert choose_correlation_id("client-42", new_id=_never) == "client-42"


@pytest.mark.parametrize("incoming", [None, "", "bad id", "x" * 129])
def test_missing_or_invalid_incoming_id_is_replaced(incoming: str | None) -> None:
    """Anything not valid gets a freshly minted id."""
    assert choose_correlation_id(incoming, new_id=lambda: "new-1") == "new-1"


def _never() -> str:
    raise AssertionError("new_id must not be called for a valid incoming id")
