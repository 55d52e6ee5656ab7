"""A fake of `user.ports.PasswordStrength`: every password gets the score it is told.

The real estimator (zxcvbn) is tested on its own in tests/unit/test_user_strength.py; service
tests only need to say "strong enough" or "too weak"."""

from __future__ import annotations

from collections.abc import Sequence

from boundary.user.core.strength import Strength


class FixedStrength:
    def __init__(self, score: int = 4) -> None:
        self.score = score
        self.estimated: list[tuple[str, tuple[str, ...]]] = []

    def estimate(self, password: str, user_inputs: Sequence[str]) -> Strength:
        self.estimated.append((password, tuple(user_inputs)))
        warning = None if self.score >= 3 else "This is a weak password."
        return Strength(score=self.score, warning=warning)
