"""User core password strength: the decision on an estimate, with plain values."""

from __future__ import annotations

import pytest

from boundary.kernel.problems import FieldError
from boundary.user.core.strength import Strength, judge_strength, user_inputs


@pytest.mark.parametrize(("score", "min_score"), [(3, 3), (4, 3), (0, 0), (4, 4)])
def test_a_score_at_or_above_the_minimum_passes(score: int, min_score: int) -> None:
    assert judge_strength(Strength(score=score), min_score=min_score) is None


def test_a_low_score_says_why_and_what_to_do() -> None:
    """The estimator's warning, then its suggestions, as sentences."""
    strength = Strength(
        score=0,
        warning='Repeats like "aaa" are easy to guess',
        suggestions=("Add another word or two. Uncommon words are better.", "Avoid repeats"),
    )
    assert judge_strength(strength, min_score=3, field="new_password") == FieldError(
        field="new_password",
        message='is too easy to guess. Repeats like "aaa" are easy to guess. '
        "Add another word or two. Uncommon words are better. Avoid repeats.",
    )


def test_a_low_score_without_feedback_still_gives_advice() -> None:
    """zxcvbn gives no feedback from score 3 up; a stricter minimum still explains itself."""
    error = judge_strength(Strength(score=3), min_score=4)
    assert error == FieldError(
        field="password",
        message="is too easy to guess. Add another word or two. Uncommon words are better.",
    )


def test_user_inputs_are_the_email_its_parts_and_the_name_words() -> None:
    assert user_inputs(email="Ada.Lovelace+x@Example.com", name=" Ada  Lovelace ") == (
        "ada.lovelace+x@example.com",
        "ada",
        "lovelace",
        "x",
        "example",
        "com",
        "ada  lovelace",
    )


def test_user_inputs_without_email_or_name() -> None:
    assert user_inputs(email=None, name=None) == ()
    assert user_inputs(email="", name="Bob") == ("bob",)
