"""Unit tests for boundary.kernel.redaction: literal values, no I/O."""

from __future__ import annotations

import base64
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.redaction import (
    REDACTED,
    TRUNCATED,
    is_sensitive_key,
    redact,
    redact_mapping,
    redact_text,
    redact_url,
)

SENSITIVE_KEYS = [
    "password",
    "PASSWORD",
    "new_password",
    "current-password",
    "passwd",
    "secret",
    "jwt_secret",
    "SESSION_SECRET",
    "client.secret",
    "token",
    "access_token",
    "accessToken",
    "refresh_token",
    "refresh",
    "session_token",
    "session.token",
    "csrfToken",
    "Authorization",
    "proxy-authorization",
    "api_key",
    "api-key",
    "X-Api-Key",
    "apikey",
    "APIKey",
    "cookie",
    "Cookie",
    "set-cookie",
    "Set-Cookie",
    "set_cookie",
    "dsn",
    "SENTRY_DSN",
    "mfa_code",
    "mfa-code",
    "mfaCode",
    "backup_codes",
    "backupCodes",
    "mfa_secret",
    "private_key",
    "credentials",
]
ORDINARY_KEYS = [
    "user_id",
    "email",
    "name",
    "method",
    "route",
    "status",
    "duration_ms",
    "client_ip",
    "correlation_id",
    "database_url",
    "idempotency_key",
    "error.kind",
    "operation",
    "key",
]


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_sensitive_keys_are_recognised_in_any_spelling(key: str) -> None:
    """Case, `_`/`-`/`.` separators and camelCase do not hide a sensitive key."""
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ORDINARY_KEYS)
def test_ordinary_keys_are_not_sensitive(key: str) -> None:
    """Keys that only resemble secrets (`idempotency_key`) keep their values."""
    assert not is_sensitive_key(key)


def test_values_under_sensitive_keys_are_replaced_at_any_depth() -> None:
    """Nested dicts, lists and tuples are walked; the whole value under the key goes."""
    data = {
        "user": {"email": "a@example.com", "password": "hunter2"},
        "headers": [{"Authorization": "xyz"}, {"Accept": "text/plain"}],
        "pair": ({"token": {"nested": "deep"}},),
        "count": 3,
    }

    assert redact(data) == {
        "user": {"email": "a@example.com", "password": REDACTED},
        "headers": [{"Authorization": REDACTED}, {"Accept": "text/plain"}],
        "pair": ({"token": REDACTED},),
        "count": 3,
    }


def test_redact_does_not_modify_its_input() -> None:
    """The caller's data is left as it was (it may still be needed)."""
    data = {"password": "hunter2", "items": [{"token": "t"}]}

    redact(data)

    assert data == {"password": "hunter2", "items": [{"token": "t"}]}


def test_falsy_values_under_sensitive_keys_are_replaced_too() -> None:
    """Whether a secret was empty is itself not shown."""
    assert redact({"password": None, "token": ""}) == {"password": REDACTED, "token": REDACTED}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abc.def-ghi_jkl", f"Bearer {REDACTED}"),
        ("Authorization: Bearer abc.def", f"Authorization: Bearer {REDACTED}"),
        ("bearer abc", f"bearer {REDACTED}"),
        ("Basic dXNlcjpwYXNzd29yZA==", f"Basic {REDACTED}"),
        ("got Basic dXNlcjpwdw== from client", f"got Basic {REDACTED} from client"),
        ("Basic setup complete", "Basic setup complete"),
        ("Bearer", "Bearer"),
    ],
)
def test_authorization_credentials_in_strings_are_replaced(text: str, expected: str) -> None:
    """`Bearer <x>` always, `Basic <x>` when x is a real user:password credential."""
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://user:pw@host/db", f"postgresql://user:{REDACTED}@host/db"),
        (
            "postgresql+asyncpg://boundary:s3cr3t@db:5432/boundary",
            f"postgresql+asyncpg://boundary:{REDACTED}@db:5432/boundary",
        ),
        ("redis://:pw@localhost:6379/0", f"redis://:{REDACTED}@localhost:6379/0"),
        ("mysql://u:p@ss@host/db", f"mysql://u:{REDACTED}@host/db"),
        ("cannot connect to redis://:pw@h:1 now", f"cannot connect to redis://:{REDACTED}@h:1 now"),
        ("http://example.com:8080/path?a=b", "http://example.com:8080/path?a=b"),
        ("sqlite:///var/boundary.db", "sqlite:///var/boundary.db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
    ],
)
def test_passwords_in_urls_are_replaced(text: str, expected: str) -> None:
    """Only the password of a URL goes; scheme, user, host and path stay for debugging."""
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:pa/ss@db:5432/app", f"postgresql://u:{REDACTED}@db:5432/app"),
        ("redis://:p?w#x@cache:6379/0", f"redis://:{REDACTED}@cache:6379/0"),
        ("mysql://u:p@ss@host/db", f"mysql://u:{REDACTED}@host/db"),
        ("rediss://cache:6380/0", "rediss://cache:6380/0"),
        ("memory://", "memory://"),
    ],
)
def test_a_string_that_is_one_url_loses_its_whole_password(url: str, expected: str) -> None:
    """A configured URL's password runs to the last `@`, whatever it holds (SQLAlchemy
    accepts `/` there): nothing of it is left, in logs or on the command line."""
    assert redact_url(url) == expected
    assert redact_text(url) == expected


def test_the_marker_is_the_callers_choice() -> None:
    """`config show` prints its own marker; every URL in the text is covered."""
    text = "from redis://:a@h/0 to postgresql://u:b@db/app"
    assert redact_url(text, "***") == "from redis://:***@h/0 to postgresql://u:***@db/app"


def test_strings_are_redacted_wherever_they_appear() -> None:
    """Credential strings are found under ordinary keys and in lists too."""
    data = {"url": "postgresql://u:pw@h/db", "args": ["Bearer abc", 1]}

    assert redact(data) == {
        "url": f"postgresql://u:{REDACTED}@h/db",
        "args": [f"Bearer {REDACTED}", 1],
    }


def test_header_pairs_with_sensitive_names_are_redacted() -> None:
    """ASGI-style (name, value) pairs, str or bytes, hide the value of a sensitive name."""
    headers = [(b"cookie", b"session=abc"), (b"accept", b"*/*"), ("X-Api-Key", "k")]

    assert redact(headers) == [(b"cookie", REDACTED), (b"accept", b"*/*"), ("X-Api-Key", REDACTED)]


class Point(NamedTuple):
    x: int
    label: str


def test_container_types_are_kept() -> None:
    """Named tuples stay named tuples, sets stay sets."""
    redacted = redact({"p": Point(1, "Bearer abc"), "s": {"Bearer abc"}})

    assert redacted == {"p": Point(1, f"Bearer {REDACTED}"), "s": {f"Bearer {REDACTED}"}}
    assert type(redacted["p"]) is Point


def test_other_objects_and_non_string_keys_pass_through() -> None:
    """Non-string keys are never sensitive; unknown objects are returned as they are."""
    marker = object()

    assert redact({1: "one", None: marker, b"x": 2.5}) == {1: "one", None: marker, b"x": 2.5}


def test_self_referencing_structures_are_truncated_not_recursed_forever() -> None:
    """A cycle ends in TRUNCATED instead of RecursionError."""
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop

    redacted = redact(loop)

    depth = 0
    while isinstance(redacted, dict):
        redacted = redacted["self"]
        depth += 1
    assert redacted == TRUNCATED
    assert depth > 10


def test_redact_mapping_accepts_any_mapping() -> None:
    """The mapping helper returns a plain dict in the original key order."""
    assert list(redact_mapping({"b": 1, "password": "x", "a": 2})) == ["b", "password", "a"]


# --- properties -----------------------------------------------------------------------------

SECRET = "S3CRET-VALUE-\u2603"  # characters the generated data below never contains
SAFE_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=12)
SAFE_KEYS = st.sampled_from(ORDINARY_KEYS)
SCALARS = st.none() | st.booleans() | st.integers() | SAFE_TEXT


def _tree(keys: st.SearchStrategy[str], leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(keys, children, max_size=4)
            | st.tuples(children, children, children)
        ),
        max_leaves=30,
    )


SECRET_VALUES = st.just(SECRET) | st.lists(st.just(SECRET), min_size=1, max_size=2)
MIXED_KEYS = SAFE_KEYS | st.sampled_from(SENSITIVE_KEYS)
# Trees where SECRET only ever appears directly under a sensitive key.
LEAKY_TREES = st.recursive(
    SCALARS | st.dictionaries(st.sampled_from(SENSITIVE_KEYS), SECRET_VALUES, min_size=1),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(MIXED_KEYS, children, max_size=4)
        | st.dictionaries(st.sampled_from(SENSITIVE_KEYS), children, min_size=1, max_size=2)
    ),
    max_leaves=30,
)


@given(LEAKY_TREES)
def test_nothing_under_a_sensitive_key_survives_at_any_depth(data: Any) -> None:
    """Whatever the nesting, a value placed under a sensitive key is not in the output."""
    assert SECRET not in repr(redact(data))


@given(_tree(SAFE_KEYS, SCALARS))
def test_data_without_secrets_is_unchanged(data: Any) -> None:
    """Redaction only touches secrets: ordinary data comes back equal."""
    assert redact(data) == data


@given(_tree(MIXED_KEYS, SCALARS | st.sampled_from(["Bearer abc", "postgresql://u:p@h/d"])))
def test_redaction_is_idempotent(data: Any) -> None:
    """Redacting twice is the same as once (safe to apply at several layers)."""
    once = redact(data)

    assert redact(once) == once


@given(st.binary(min_size=1, max_size=24), st.binary(max_size=24))
def test_any_basic_credential_is_redacted(user: bytes, password: bytes) -> None:
    """Every real Basic credential is recognised, whatever bytes it encodes."""
    credential = base64.b64encode(user.replace(b":", b"") + b":" + password).decode()

    assert redact_text(f"Authorization: Basic {credential}") == f"Authorization: Basic {REDACTED}"
