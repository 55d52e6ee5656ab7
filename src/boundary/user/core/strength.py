"""User core (pure): how strong a password must be, decided on an estimate the shell gathers.

Estimating strength is computation done by a library (zxcvbn: dictionaries, keyboard
patterns, dates, repeats), so it sits behind the `PasswordStrength` port (`user.ports`) with its
adapter in the shell; this module decides. The estimate comes as a plain `Strength` — zxcvbn's score
0–4 and its feedback in words — and `judge_strength` turns a score below the configured
minimum (`security.password_min_score`) into a field error that tells the user why and what
to do instead.

The estimator learns what is predictable for this user: `user_inputs` gives it the email
address, its parts and the name, so a password built from them scores low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from boundary.kernel.problems import FieldError

MAX_SCORE: Final = 4
MAX_ESTIMATED_LENGTH: Final = 64
"""The estimate reads at most this many leading characters: the estimator's time grows
steeply with length (and holds the interpreter while it runs), and a password whose first 64
characters are strong enough is strong enough."""
TOO_WEAK: Final = "is too easy to guess"
DEFAULT_ADVICE: Final = "Add another word or two. Uncommon words are better."

_WORD_SEPARATORS: Final = re.compile(r"[\s._+@-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Strength:
    """An estimate: `score` 0 (guessed at once) to 4 (very hard), with advice in words."""

    score: int
    warning: str | None = None
    suggestions: tuple[str, ...] = ()


def user_inputs(*, email: str | None, name: str | None) -> tuple[str, ...]:
    """What an attacker knows about the user: the email address, its parts, the name and its
    words (lower-cased, each once, in that order)."""
    found: list[str] = []
    for text in (email, name):
        if not text:
            continue
        lowered = text.strip().lower()
        for item in (lowered, *_WORD_SEPARATORS.split(lowered)):
            if item and item not in found:
                found.append(item)
    return tuple(found)


def judge_strength(
    strength: Strength, *, min_score: int, field: str = "password"
) -> FieldError | None:
    """None when the score reaches `min_score`; otherwise why not, and what would help."""
    if strength.score >= min_score:
        return None
    advice = [strength.warning] if strength.warning else []
    advice.extend(strength.suggestions or (DEFAULT_ADVICE,))
    return FieldError(field=field, message=f"{TOO_WEAK}. " + " ".join(_sentence(a) for a in advice))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
