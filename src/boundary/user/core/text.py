"""User core (pure): the characters no text input may carry, and how to show them harmlessly.

"Control characters" are the code points of two Unicode general categories:

* Cc, the C0 controls U+0000–U+001F (NUL, tab and the line breaks among them), DEL U+007F and
  the C1 controls U+0080–U+009F. PostgreSQL cannot store NUL in text at all; the others have
  no place in an email address, a name, a password, an MFA code or a search term, and in logs
  and admin listings they forge line breaks or hide text.
* Cs, the surrogates U+D800–U+DFFF. JSON can spell one alone (`"\\ud800"`); such a string has
  no UTF-8 encoding, so no database driver can send it and no hash can be computed over it.

Everything else is text: format characters (Cf, such as the zero-width joiner inside emoji),
private-use and unassigned code points included. Names refuse more than this (line and
paragraph separators, bidirectional overrides: see `validation.validate_name`).

The check is the same on every database, so a request is refused (422, naming the field)
before it reaches one. `NO_CONTROL_PATTERN` says the same in JSON Schema for the OpenAPI
document, for every string a JSON Schema can describe (its strings are Unicode text, so a
lone surrogate is outside them, and validators refuse a pattern that names one); a test keeps
the two in agreement.
"""

from __future__ import annotations

import re
from typing import Final

CONTROL_CATEGORIES: Final = frozenset({"Cc", "Cs"})
CONTROL_MESSAGE: Final = "must not contain control characters"
NO_CONTROL_PATTERN: Final = r"^[^\u0000-\u001f\u007f-\u009f]*$"
"""A JSON Schema (ECMA-262) `pattern` matching exactly the Unicode strings without control
characters."""

_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a code point of category Cc or Cs."""
    return _CONTROL.search(text) is not None


def visible(text: str) -> str:
    """`text` with every control character written as a `\\uXXXX` escape, for audit rows and
    logs that must record what was sent without storing (or failing on) the character itself."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
