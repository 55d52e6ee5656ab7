"""User core (pure): validate and normalise what clients send about users.

Every validator returns a value or field errors, never raises for bad input: the HTTP shell turns
a list of `FieldError` into one 422 problem. No text may carry control characters (`core.text`).
Passwords follow NIST SP 800-63B / OWASP ASVS: a length window counted in code points, a
blocklist of common passwords (also with digits or symbols stuck around one, `Summer2024!!`),
not the user's email, a minimum strength estimate (`core.strength`), no composition rules,
and the password is never stripped, truncated or otherwise rewritten before hashing.

The common-password list ships beside this module (`COMMON_PASSWORDS_RESOURCE`); the shell reads
the file once at start-up and passes its text to `load_common_passwords`.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from boundary.kernel.problems import FieldError
from boundary.user.core.model import ROLES, Role
from boundary.user.core.strength import Strength, judge_strength
from boundary.user.core.text import CONTROL_MESSAGE, has_control_characters

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 128
MAX_EMAIL_LENGTH: Final = 254
"""RFC 5321's path limit minus the angle brackets."""
MAX_EMAIL_LOCAL_LENGTH: Final = 64
MAX_DOMAIN_LABEL_LENGTH: Final = 63
MAX_NAME_LENGTH: Final = 100

COMMON_PASSWORDS_RESOURCE: Final = ("boundary.user.core", "data/common-passwords.txt")
"""(package, relative path) of the shipped list, for `importlib.resources` in the shell."""

PATCHABLE_FIELDS: Final = frozenset({"email", "name", "role", "active"})
_IMMUTABLE_HINTS: Final[Mapping[str, str]] = {
    "password": "cannot be changed here; use POST /api/v1/auth/password",
}

# ASCII characters RFC 5322 allows in an unquoted (dot-atom) local part, besides letters/digits.
_ATEXT_SYMBOLS: Final = frozenset("!#$%&'*+/=?^_`{|}~-")
_ASCII_ALNUM: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# Invisible characters that reorder text: harmless in storage, deceptive in an admin's listing.
_BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | frozenset(
    "\u2066\u2067\u2068\u2069"
)
_FORBIDDEN_NAME_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})

_INVALID_EMAIL: Final = "must be a valid email address"
_DECORATION: Final = string.digits + string.punctuation + " "
"""What people stick around a common word to pass composition rules: `Summer2024!!`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    """A validated `POST /api/v1/users` body; `password` is still plain text, for hashing."""

    email: str
    name: str
    password: str = field(repr=False)
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class UserPatch:
    """A validated `PATCH /api/v1/users/{id}` body; `None` means the field was not sent.
    `email` is normalised (trimmed, lower-cased) like a new user's."""

    email: str | None = None
    name: str | None = None
    role: Role | None = None
    active: bool | None = None

    @property
    def fields(self) -> frozenset[str]:
        """The names of the fields the patch sets."""
        sent = {"email": self.email, "name": self.name, "role": self.role, "active": self.active}
        return frozenset(key for key, value in sent.items() if value is not None)


# --- email -----------------------------------------------------------------------------------


def normalize_email(raw: str) -> str | FieldError:
    """The address trimmed and lower-cased, or why it is not a plausible email address.

    Structure only (one `@`, a dot-atom local part, a dotted domain of sane labels); nothing is
    looked up, so the result depends on the string alone. Non-ASCII letters are accepted in
    both parts (internationalised addresses).
    """
    if has_control_characters(raw):
        return FieldError(field="email", message=CONTROL_MESSAGE)
    email = raw.strip().lower()
    if not email:
        return FieldError(field="email", message="is required")
    if len(email) > MAX_EMAIL_LENGTH:
        return FieldError(field="email", message=f"must be at most {MAX_EMAIL_LENGTH} characters")
    local, at, domain = email.partition("@")
    if not at or not _valid_local_part(local) or not _valid_domain(domain):
        return FieldError(field="email", message=_INVALID_EMAIL)
    return email


def _valid_local_part(local: str) -> bool:
    """A dot-atom: atext runs separated by single dots (quoted local parts are refused)."""
    if not 0 < len(local) <= MAX_EMAIL_LOCAL_LENGTH:
        return False
    atoms = local.split(".")
    return all(atoms) and all(_is_atext(c) for c in local if c != ".")


def _is_atext(char: str) -> bool:
    if char.isascii():
        return char in _ASCII_ALNUM or char in _ATEXT_SYMBOLS
    return _is_word_character(char)


def _valid_domain(domain: str) -> bool:
    """At least two labels; letters, digits and inner hyphens; a top-level label not numeric."""
    labels = domain.split(".")
    if len(labels) < 2 or not all(_valid_label(label) for label in labels):
        return False
    return not labels[-1].isdigit()


def _valid_label(label: str) -> bool:
    if not 0 < len(label) <= MAX_DOMAIN_LABEL_LENGTH:
        return False
    if label.startswith("-") or label.endswith("-"):
        return False
    return all(c == "-" or c in _ASCII_ALNUM or _is_word_character(c) for c in label)


def _is_word_character(char: str) -> bool:
    """A non-ASCII letter, combining mark or digit (what internationalised names are made of)."""
    return not char.isascii() and unicodedata.category(char)[0] in "LMN"


# --- name and role ---------------------------------------------------------------------------


def validate_name(raw: str) -> str | FieldError:
    """The name trimmed, or why it cannot be shown safely.

    Control characters (anywhere, even where trimming would remove them), line and paragraph
    separators and bidirectional overrides are refused: names are shown in listings and logs,
    where they could forge lines or disguise the text around them.
    """
    if has_control_characters(raw):
        return FieldError(field="name", message=CONTROL_MESSAGE)
    name = raw.strip()
    if not name:
        return FieldError(field="name", message="is required")
    if len(name) > MAX_NAME_LENGTH:
        return FieldError(field="name", message=f"must be at most {MAX_NAME_LENGTH} characters")
    if any(_is_forbidden_in_name(c) for c in name):
        return FieldError(field="name", message="must not contain control characters")
    return name


def _is_forbidden_in_name(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _FORBIDDEN_NAME_CATEGORIES


def validate_role(raw: str) -> Role | FieldError:
    """The role when it is one of `ROLES` exactly (roles are case-sensitive identifiers)."""
    for role in ROLES:
        if raw == role:
            return role
    return FieldError(field="role", message="must be one of: " + ", ".join(ROLES))


# --- passwords -------------------------------------------------------------------------------


def validate_password(
    password: str,
    *,
    common: frozenset[str],
    email: str | None = None,
    field: str = "password",
    strength: Strength | None = None,
    min_score: int = 0,
) -> list[FieldError]:
    """Why the password is unacceptable; an empty list means it is fine.

    Length is counted in code points and the password is judged exactly as given. `common`
    holds lower-cased entries (as `load_common_passwords` returns them), so the check is
    case-insensitive; so is the comparison with the email address and its local part. `field`
    names the input in the errors (`new_password` on the change-password endpoint).
    `strength` is the estimate of the password (see `estimable`); it is judged against
    `min_score` only when nothing else is wrong, so a user reads one reason at a time.
    """
    errors: list[FieldError] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(field=field, message=f"must be at least {MIN_PASSWORD_LENGTH} characters")
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors.append(
            FieldError(field=field, message=f"must be at most {MAX_PASSWORD_LENGTH} characters")
        )
    if has_control_characters(password):
        errors.append(FieldError(field=field, message=CONTROL_MESSAGE))
    folded = password.lower()
    if folded in common:
        errors.append(
            FieldError(field=field, message="is too common; choose a less predictable password")
        )
    elif _decorated_common(folded, common):
        message = "is a common password with digits or symbols added; choose a less predictable one"
        errors.append(FieldError(field=field, message=message))
    if email is not None and folded in _email_forms(email):
        errors.append(FieldError(field=field, message="must not be your email address"))
    if not errors and strength is not None:
        weak = judge_strength(strength, min_score=min_score, field=field)
        errors.extend([weak] if weak else [])
    return errors


def estimable(password: str) -> bool:
    """Whether a strength estimate can matter: the password has an acceptable length and no
    control characters (the estimator is not asked about input refused anyway)."""
    return MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH and not (
        has_control_characters(password)
    )


def _decorated_common(folded: str, common: frozenset[str]) -> bool:
    """A common password with digits, symbols or spaces around it (`summer2024!!`).

    The strength estimator does not catch all of these: zxcvbn gives any password it reads as
    three or more pieces at least 10^8 guesses (score 3), and password-spraying lists are made
    of exactly such words-plus-year-plus-symbol guesses.
    """
    cores = {folded.lstrip(_DECORATION), folded.rstrip(_DECORATION), folded.strip(_DECORATION)}
    return any(core != folded and core in common for core in cores)


def _email_forms(email: str) -> frozenset[str]:
    """The address and its local part, lower-cased: the guesses an attacker tries first."""
    address = email.strip().lower()
    local = address.rpartition("@")[0]
    return frozenset(form for form in (address, local) if form)


def load_common_passwords(text: str) -> frozenset[str]:
    """The entries of the shipped list: one per line, `#` starts a comment line, lower-cased.

    Lines are trimmed, so an entry cannot begin or end with whitespace or begin with `#`.
    """
    entries = (line.strip() for line in text.splitlines())
    return frozenset(entry.lower() for entry in entries if entry and not entry.startswith("#"))


# --- request bodies --------------------------------------------------------------------------


def validate_new_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    common: frozenset[str],
    strength: Strength | None = None,
    min_score: int = 0,
) -> NewUser | list[FieldError]:
    """The normalised new user, or every field error at once (email, name, password, role);
    `strength` and `min_score` as for `validate_password`."""
    checked_email = normalize_email(email)
    checked_name = validate_name(name)
    checked_role = validate_role(role)
    password_errors = validate_password(
        password,
        common=common,
        email=email if isinstance(checked_email, FieldError) else checked_email,
        strength=strength,
        min_score=min_score,
    )
    if (
        isinstance(checked_email, FieldError)
        or isinstance(checked_name, FieldError)
        or isinstance(checked_role, FieldError)
        or password_errors
    ):
        return [
            *_errors_in((checked_email, checked_name)),
            *password_errors,
            *_errors_in((checked_role,)),
        ]
    return NewUser(email=checked_email, name=checked_name, password=password, role=checked_role)


def _errors_in(results: Iterable[object]) -> list[FieldError]:
    return [result for result in results if isinstance(result, FieldError)]


def validate_user_patch(
    patch: Mapping[str, object], *, common: frozenset[str] = frozenset()
) -> UserPatch | list[FieldError]:
    """The validated patch, or an error for every bad, unknown or unchangeable field.

    `common` is accepted so both body validators are called alike; a patch never carries a
    password (that has its own endpoint), so it is unused. Errors come in field-name order.
    """
    del common
    if not patch:
        fields = ", ".join(sorted(PATCHABLE_FIELDS))
        return [FieldError(field="body", message=f"must set at least one of: {fields}")]
    unknown = [_not_patchable(key) for key in patch if key not in PATCHABLE_FIELDS]
    email = _patch_email(patch["email"]) if "email" in patch else None
    name = _patch_name(patch["name"]) if "name" in patch else None
    role = _patch_role(patch["role"]) if "role" in patch else None
    active = _patch_active(patch["active"]) if "active" in patch else None
    if (
        unknown
        or isinstance(email, FieldError)
        or isinstance(name, FieldError)
        or isinstance(role, FieldError)
        or isinstance(active, FieldError)
    ):
        errors = [*unknown, *_errors_in((email, name, role, active))]
        return sorted(errors, key=lambda error: error.field)
    return UserPatch(email=email, name=name, role=role, active=active)


def _not_patchable(key: str) -> FieldError:
    return FieldError(
        field=key, message=_IMMUTABLE_HINTS.get(key, "is not a field that can be updated")
    )


def _patch_email(value: object) -> str | FieldError:
    return normalize_email(value) if isinstance(value, str) else _must_be("email", "a string")


def _patch_name(value: object) -> str | FieldError:
    return validate_name(value) if isinstance(value, str) else _must_be("name", "a string")


def _patch_role(value: object) -> Role | FieldError:
    return validate_role(value) if isinstance(value, str) else _must_be("role", "a string")


def _patch_active(value: object) -> bool | FieldError:
    # JSON null is refused too: `active` is a state, not an optional attribute.
    return value if isinstance(value, bool) else _must_be("active", "true or false")


def _must_be(key: str, what: str) -> FieldError:
    return FieldError(field=key, message=f"must be {what}")


# --- query parameters ------------------------------------------------------------------------

_ISO_DATE_TIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?"
)
DATE_TIME_EXAMPLE: Final = "2026-01-03T12:00:00Z"


def parse_date_time(raw: str, *, field: str) -> datetime | FieldError:
    """An ISO-8601 date and time (seconds, fraction and offset optional) as a UTC datetime.

    Nothing else is a date-time here — not a bare date, not a number of seconds (`0.5`), not a
    week date — and one without an offset is read as UTC, like every timestamp Boundary writes.
    """
    invalid = FieldError(
        field=field, message=f"must be an ISO-8601 date-time such as {DATE_TIME_EXAMPLE}"
    )
    if not _ISO_DATE_TIME.fullmatch(raw):
        return invalid
    try:
        moment = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
    except ValueError:  # month 13, February 30, hour 24 …
        return invalid
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        return FieldError(field=field, message="is out of range")
