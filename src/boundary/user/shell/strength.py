"""Password strength adapter (shell): zxcvbn, in its Rust implementation, behind the core port.

`zxcvbn-rs-py` binds zxcvbn-rs, a maintained port of Dropbox's zxcvbn: offline, dictionaries
built in, and about ten times faster than the pure-Python port (which needs seconds of CPU for
a long random password). It still holds the interpreter while it runs, so the core bounds how
much of a password is estimated (`MAX_ESTIMATED_LENGTH`). The core decides what the score
means (`user.core.strength.judge_strength`); this module only translates the library's result
into a plain `Strength`, with zxcvbn's own English wording for the feedback.
"""

from __future__ import annotations

from collections.abc import Sequence

import zxcvbn_rs_py

from boundary.user.core.strength import (
    MAX_ESTIMATED_LENGTH,
    Strength,
    user_inputs,
)
from boundary.user.core.text import has_control_characters
from boundary.user.core.validation import estimable
from boundary.user.ports import PasswordStrength


def estimate_for(
    estimator: PasswordStrength, password: str, *, email: str | None, name: str | None
) -> Strength | None:
    """The estimate the core judges (of the first `MAX_ESTIMATED_LENGTH` characters, with the
    user's email and name as known inputs); None when the password is refused on its form
    anyway, so no time is spent estimating it."""
    if not estimable(password):
        return None
    known = user_inputs(email=email, name=name)
    return estimator.estimate(password[:MAX_ESTIMATED_LENGTH], known)


class ZxcvbnStrength:
    """`PasswordStrength` on zxcvbn; stateless, one per process."""

    def estimate(self, password: str, user_inputs: Sequence[str]) -> Strength:
        if has_control_characters(password):
            # No UTF-8 for a lone surrogate, so the library cannot read it; the core refuses
            # such passwords before asking, this keeps the adapter total anyway.
            return Strength(score=0)
        inputs = [text for text in user_inputs if not has_control_characters(text)]
        entropy = zxcvbn_rs_py.zxcvbn(password, user_inputs=inputs)
        feedback = entropy.feedback
        if feedback is None:
            return Strength(score=int(entropy.score))
        return Strength(
            score=int(entropy.score),
            warning=None if feedback.warning is None else str(feedback.warning),
            suggestions=tuple(str(suggestion) for suggestion in feedback.suggestions),
        )
