"""Redaction of secrets in plain data (kernel: pure, stdlib only).

Shared by logging, HTTP error bodies and error-report scrubbing so that every place which
might echo a password, token, cookie or credential URL hides it the same way. Two rules:

* a value under a *sensitive key* is replaced whole, whatever its type or depth;
* inside any string, ``Bearer <credential>`` / ``Basic <credential>`` and the password of a
  ``scheme://user:password@host`` URL are replaced.

Everything here is a pure function; the caches only remember answers for keys already seen.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final

REDACTED: Final = "[REDACTED]"
"""What a secret is replaced with."""

TRUNCATED: Final = "[TRUNCATED]"
"""What replaces containers nested deeper than `MAX_DEPTH` (e.g. a self-referencing dict)."""

MAX_DEPTH: Final = 64

# A key is sensitive when one of its words (after splitting on `_`, `-`, `.` and camelCase)
# is in _SENSITIVE_WORDS, or when two adjacent words form one of _SENSITIVE_PAIRS.
# Glued spellings ("apikey", "accesstoken") are words of their own.
_SENSITIVE_WORDS: Final = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "authorization",
        "cookie",
        "cookies",
        "setcookie",
        "dsn",
        "apikey",
        "credential",
        "credentials",
        "refresh",
        "accesstoken",
        "refreshtoken",
        "sessiontoken",
        "idtoken",
        "authtoken",
        "mfacode",
        "otp",
        "totp",
        "backupcodes",
        "privatekey",
    }
)
_SENSITIVE_PAIRS: Final = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("set", "cookie"),
        ("mfa", "code"),
        ("otp", "code"),
        ("backup", "code"),
        ("backup", "codes"),
        ("recovery", "code"),
        ("recovery", "codes"),
    }
)

_CAMEL_BOUNDARY: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD_SEPARATORS: Final = re.compile(r"[_\-.\s]+")
_AUTH_SCHEME: Final = re.compile(r"\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
_URL_PASSWORD: Final = re.compile(
    r"(?P<prefix>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)(?P<password>[^/?#\s]*)@"
)
# A string that is one URL and nothing else (a configured value): its password runs to the
# last `@`, so one holding an unencoded `/`, `?`, `#` or `@` (drivers accept them) goes whole.
_WHOLE_URL_PASSWORD: Final = re.compile(
    r"(?P<prefix>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)(?P<password>\S*)@(?P<rest>[^@\s]*)"
)


@lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """Whether values stored under `key` must never be shown (case and `_`/`-`/`.` blind)."""
    words = _WORD_SEPARATORS.split(_CAMEL_BOUNDARY.sub("_", key).lower())
    if any(word in _SENSITIVE_WORDS for word in words):
        return True
    return any(pair in _SENSITIVE_PAIRS for pair in pairwise(words))


def redact_text(text: str) -> str:
    """`text` with Authorization credentials and URL passwords replaced by `REDACTED`."""
    return _AUTH_SCHEME.sub(_hide_credential, redact_url(text))


def redact_url(text: str, marker: str = REDACTED) -> str:
    """`text` with the password of each `scheme://user:password@host` URL in it replaced by
    `marker` (scheme, user, host and path stay, for debugging).

    The one place a URL's password is hidden: logs, error reports, `config show` (which passes
    its own marker) and the URLs the database and rate-limit storage log all come here.
    """
    if "://" not in text:
        return text
    whole = _WHOLE_URL_PASSWORD.fullmatch(text)
    if whole is not None:
        return f"{whole['prefix']}{marker}@{whole['rest']}"
    return _URL_PASSWORD.sub(lambda match: f"{match['prefix']}{marker}@", text)


def redact(value: Any, _depth: int = 0) -> Any:
    """A copy of `value` safe to show: sensitive keys' values and secrets in strings replaced.

    Mappings become dicts (key order kept), lists stay lists, tuples stay tuples (a 2-tuple
    whose first item is a sensitive key, as in ASGI header lists, has its second item
    replaced), sets stay sets. Other objects are returned as they are.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool | int | float | None):
        return value
    if _depth >= MAX_DEPTH:
        return TRUNCATED
    if isinstance(value, Mapping):
        return redact_mapping(value, _depth)
    if isinstance(value, tuple):
        return _redact_tuple(value, _depth)
    if isinstance(value, list):
        return [redact(item, _depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        return type(value)(redact(item, _depth + 1) for item in value)
    return value


def redact_mapping(mapping: Mapping[Any, Any], _depth: int = 0) -> dict[Any, Any]:
    """`mapping` as a dict with sensitive keys' values replaced and the rest redacted."""
    return {
        key: REDACTED if _is_sensitive(key) else redact(item, _depth + 1)
        for key, item in mapping.items()
    }


def _redact_tuple(items: tuple[Any, ...], depth: int) -> tuple[Any, ...]:
    if len(items) == 2 and _is_sensitive(items[0]):
        redacted: tuple[Any, ...] = (items[0], REDACTED)
    else:
        redacted = tuple(redact(item, depth + 1) for item in items)
    make = getattr(type(items), "_make", None)  # keep named tuples named
    return make(redacted) if make is not None else redacted


def _is_sensitive(key: object) -> bool:
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    return isinstance(key, str) and is_sensitive_key(key)


def _hide_credential(match: re.Match[str]) -> str:
    scheme, space, credential = match.groups()
    if scheme.lower() == "basic" and not _is_basic_credential(credential):
        return match[0]  # ordinary prose such as "Basic setup done"
    return f"{scheme}{space}{REDACTED}"


def _is_basic_credential(candidate: str) -> bool:
    """Whether `candidate` is base64 of `user:password` (what a Basic credential is)."""
    try:
        decoded = base64.b64decode(candidate + "=" * (-len(candidate) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded
