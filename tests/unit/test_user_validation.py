"""User core validation: emails, names, roles, passwords and the user request bodies."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import timedelta
from functools import partial
from importlib import resources
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.problems import FieldError
from boundary.user.core.changes import apply_user_patch, changed_fields, create_user
from boundary.user.core.model import ROLES, User
from boundary.user.core.strength import Strength
from boundary.user.core.validation import (
    COMMON_PASSWORDS_RESOURCE,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    NewUser,
    UserPatch,
    load_common_passwords,
    normalize_email,
    validate_name,
    validate_new_user,
    validate_password,
    validate_role,
    validate_user_patch,
)
from tests.fakes import builders
from tests.fakes.builders import NOW

USER_ID = UUID("00000000-0000-4000-8000-000000000001")
COMMON = frozenset({"password", "password1234", "qwerty123456", "letmeinplease"})
GOOD_PASSWORD = "correct horse battery staple"
LONGEST_EMAIL = "b" * 64 + "@" + "a" * 63 + "." + "a" * 63 + "." + "a" * 57 + ".com"

INVALID_EMAIL = FieldError(field="email", message="must be a valid email address")
TOO_SHORT = FieldError(field="password", message="must be at least 12 characters")
TOO_LONG = FieldError(field="password", message="must be at most 128 characters")
TOO_COMMON = FieldError(
    field="password", message="is too common; choose a less predictable password"
)
IS_EMAIL = FieldError(field="password", message="must not be your email address")
CONTROL = FieldError(field="email", message="must not contain control characters")
DECORATED = FieldError(
    field="password",
    message="is a common password with digits or symbols added; choose a less predictable one",
)
WEAK = Strength(score=1, warning="This is similar to a commonly used password.")
NO_CONTROL = st.characters(exclude_categories=("Cc", "Cs"))


make_user = partial(
    builders.make_user,
    id=USER_ID,
    email="alice@example.com",
    name="Alice",
    created_at=NOW - timedelta(days=30),
    updated_at=NOW - timedelta(days=30),
)


def shipped_list_text() -> str:
    package, path = COMMON_PASSWORDS_RESOURCE
    return resources.files(package).joinpath(path).read_text(encoding="utf-8")


# --- normalize_email -------------------------------------------------------------------------


def test_email_is_trimmed_and_lower_cased() -> None:
    """Surrounding whitespace goes and every letter is lower-cased."""
    assert normalize_email("  Alice.Smith@Example.COM  ") == "alice.smith@example.com"


@pytest.mark.parametrize(
    "email",
    [
        "a@b.co",
        "o'brien+newsletter@sub.example.co.uk",
        "first.last@example.com",
        "x_y-z=1!#$%&*/?^`{|}~@example.io",
        "user@xn--bcher-kva.example",
        "josé@exämple.de",
        "用户@例子.广告",
        "user@123.example.com",
    ],
)
def test_plausible_addresses_are_accepted(email: str) -> None:
    """Dot-atom local parts, subdomains, punycode and internationalised addresses pass."""
    assert normalize_email(email) == email


@pytest.mark.parametrize(
    "email",
    [
        "plainaddress",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "alice@bob@example.com",
        "alice@localhost",
        "alice@example..com",
        "alice@.example.com",
        "alice@example.com.",
        "alice@-example.com",
        "alice@example-.com",
        "alice@exa_mple.com",
        "alice@192.168.0.1",
        "alice@[192.168.0.1]",
        "alice@example.123",
        ".alice@example.com",
        "alice.@example.com",
        "al..ice@example.com",
        '"alice"@example.com',
        "al ice@example.com",
        "ali(ce)@example.com",
        "alice@exam ple.com",
        "alice@example.com\u202e",
        "a" * 65 + "@example.com",
        "alice@" + "a" * 64 + ".com",
    ],
)
def test_implausible_addresses_are_refused(email: str) -> None:
    """Structure is checked: one @, a dot-atom local part, a dotted domain of sane labels."""
    assert normalize_email(email) == INVALID_EMAIL


@pytest.mark.parametrize(
    "email", ["alice\x00@example.com", "al\tice@example.com", "alice@example.com\n", "\t\n"]
)
def test_control_characters_in_an_email_are_refused(email: str) -> None:
    """NUL, tab, line breaks anywhere — even where trimming would remove them — are refused."""
    assert normalize_email(email) == CONTROL


@pytest.mark.parametrize("email", ["", "   "])
def test_a_blank_email_is_required(email: str) -> None:
    """An empty or whitespace-only email says it is required rather than malformed."""
    assert normalize_email(email) == FieldError(field="email", message="is required")


def test_email_of_254_characters_is_accepted_and_255_refused() -> None:
    """The RFC 5321 limit of 254 characters is inclusive."""
    at_limit = LONGEST_EMAIL
    assert len(at_limit) == 254
    assert normalize_email(at_limit) == at_limit
    assert normalize_email(at_limit + "m") == FieldError(
        field="email", message="must be at most 254 characters"
    )


def test_the_length_limit_applies_after_trimming() -> None:
    """Whitespace around a 254-character address does not count against it."""
    assert normalize_email(f"   {LONGEST_EMAIL}   ") == LONGEST_EMAIL


@given(st.emails())
def test_every_generated_rfc_address_is_accepted_lower_cased(email: str) -> None:
    """Hypothesis' RFC 5322 addresses (within 254 characters) all pass, lower-cased."""
    if len(email) <= 254:
        assert normalize_email(email) == email.lower()


@given(st.one_of(st.emails(), st.text()))
def test_normalisation_is_idempotent(raw: str) -> None:
    """A normalised address normalises to itself."""
    once = normalize_email(raw)
    if isinstance(once, str):
        assert normalize_email(once) == once


@given(st.text())
def test_a_normalised_address_is_lower_case_trimmed_and_bounded(raw: str) -> None:
    """Whatever the input, an accepted result has one @, no outer space, ≤254 characters."""
    result = normalize_email(raw)
    if isinstance(result, str):
        assert result == result.strip().lower()
        assert result.count("@") == 1
        assert len(result) <= 254
    else:
        assert result.field == "email"


# --- validate_name ---------------------------------------------------------------------------


def test_name_is_trimmed() -> None:
    """Outer whitespace goes; inner spacing is the user's own."""
    assert validate_name("  Ada  Lovelace ") == "Ada  Lovelace"


@pytest.mark.parametrize("name", ["José Ñúñez", "李小龙", "O'Connor-Smith", "👩\u200d💻 Dev", "X"])
def test_names_in_any_script_are_accepted(name: str) -> None:
    """Letters of any script, punctuation, emoji and joiners are fine."""
    assert validate_name(name) == name


def test_name_of_100_characters_is_accepted_and_101_refused() -> None:
    """The limit counts characters after trimming and is inclusive."""
    assert validate_name(" " + "n" * 100 + " ") == "n" * 100
    assert validate_name("n" * 101) == FieldError(
        field="name", message="must be at most 100 characters"
    )


def test_control_characters_around_a_name_are_refused_not_trimmed() -> None:
    """Like every text input, a name with a line break at its end is refused."""
    assert validate_name("Ada\n") == FieldError(
        field="name", message="must not contain control characters"
    )


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_name_is_required(name: str) -> None:
    """Nothing but whitespace is no name."""
    assert validate_name(name) == FieldError(field="name", message="is required")


@pytest.mark.parametrize(
    "char", ["\x00", "\n", "\t", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e"]
)
def test_control_characters_in_a_name_are_refused(char: str) -> None:
    """Controls, line separators and bidi overrides could forge log lines or disguise text."""
    assert validate_name(f"Mallory{char}Admin") == FieldError(
        field="name", message="must not contain control characters"
    )


_NAME_CHARACTERS = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
    blacklist_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)


@given(st.text(_NAME_CHARACTERS, min_size=1, max_size=100))
def test_any_printable_name_up_to_100_characters_is_accepted_trimmed(name: str) -> None:
    """A name made of allowed characters comes back trimmed, or `is required` if blank."""
    result = validate_name(name)
    expected = name.strip()
    assert result == (expected or FieldError(field="name", message="is required"))


# --- validate_role ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_known_role_is_accepted(role: str) -> None:
    """admin, user and viewer are the roles."""
    assert validate_role(role) == role


@pytest.mark.parametrize("role", ["", "Admin", "ADMIN", " admin", "root", "superuser"])
def test_unknown_roles_are_refused(role: str) -> None:
    """Roles are exact identifiers: no case folding or trimming."""
    assert validate_role(role) == FieldError(
        field="role", message="must be one of: admin, user, viewer"
    )


# --- validate_password -----------------------------------------------------------------------


def test_a_long_uncommon_password_passes() -> None:
    """No errors means the password is acceptable."""
    assert validate_password(GOOD_PASSWORD, common=COMMON) == []


def test_length_bounds_are_inclusive() -> None:
    """12 and 128 characters pass; 11 and 129 do not."""
    assert validate_password("x" * 11 + "y", common=COMMON) == []
    assert validate_password("x" * 128, common=COMMON) == []
    assert validate_password("x" * 11, common=COMMON) == [TOO_SHORT]
    assert validate_password("x" * 129, common=COMMON) == [TOO_LONG]


def test_length_counts_code_points_not_bytes() -> None:
    """Twelve emoji (48 UTF-8 bytes) are twelve characters; eleven are too few."""
    assert validate_password("🔑" * 12, common=COMMON) == []
    assert validate_password("🔑" * 11, common=COMMON) == [TOO_SHORT]
    assert validate_password("é" * 128, common=COMMON) == []


def test_whitespace_counts_and_is_never_stripped() -> None:
    """Spaces are characters like any other: a padded short password is long enough."""
    assert validate_password("  abcdefghij", common=COMMON) == []
    assert validate_password(" abcdefghij", common=COMMON) == [TOO_SHORT]


def test_no_composition_rules_apply() -> None:
    """All lower-case letters, all digits, no symbols: length and rarity are what count."""
    assert validate_password("thisisjustlowercase", common=COMMON) == []
    assert validate_password("840219375610", common=COMMON) == []


def test_a_common_password_is_refused_in_any_case() -> None:
    """The blocklist check ignores case."""
    assert validate_password("QWERTY123456", common=COMMON) == [TOO_COMMON]
    assert validate_password("LetMeInPlease", common=COMMON) == [TOO_COMMON]


def test_a_short_common_password_gets_both_errors() -> None:
    """Every reason is reported at once."""
    assert validate_password("password", common=COMMON) == [TOO_SHORT, TOO_COMMON]


def test_the_email_address_itself_is_refused() -> None:
    """A password equal to the account's email (any case) is the first thing guessed."""
    email = "alice.smith@example.com"
    assert validate_password("Alice.Smith@Example.com", common=COMMON, email=email) == [IS_EMAIL]


def test_the_local_part_of_the_email_is_refused() -> None:
    """So is the part before the @."""
    email = "alice.smith.1984@example.com"
    assert validate_password("ALICE.SMITH.1984", common=COMMON, email=email) == [IS_EMAIL]


def test_a_password_merely_containing_the_email_is_allowed() -> None:
    """Only equality is refused; a longer phrase around the local part is fine."""
    email = "alice.smith.1984@example.com"
    assert validate_password("alice.smith.1984 rides bikes", common=COMMON, email=email) == []


def test_errors_name_the_given_field() -> None:
    """The change-password endpoint reports its `new_password` field."""
    assert validate_password("short", common=COMMON, field="new_password") == [
        FieldError(field="new_password", message="must be at least 12 characters")
    ]


@pytest.mark.parametrize(
    "password", ["abcdefghijk\ud800", "abcdefghijk\x00", "abcdefghijk\t", "line\nbreak!!xyz"]
)
def test_control_characters_in_a_password_are_refused(password: str) -> None:
    """NUL, tab, line breaks and lone surrogates (JSON can smuggle `\\ud800`, which has no
    UTF-8 encoding to hash) are refused; any other character is fine."""
    assert validate_password(password, common=COMMON) == [
        FieldError(field="password", message="must not contain control characters")
    ]


@pytest.mark.parametrize(
    "password", ["Summer2024!!", "password1234!", "!!QWERTY123456", "2024 letmeinplease"]
)
def test_a_common_password_with_digits_or_symbols_around_it_is_refused(password: str) -> None:
    """Spraying lists are words plus year plus symbol; the estimator scores those too high."""
    common = COMMON | {"summer"}
    assert validate_password(password, common=common) == [DECORATED]


def test_decoration_inside_a_word_or_around_a_rare_word_is_fine() -> None:
    """Only a listed core with nothing but digits, symbols or spaces around it counts."""
    assert validate_password("Summ3r2024!!xy", common=COMMON | {"summer"}) == []
    assert validate_password("Marmalade2024!!", common=COMMON | {"summer"}) == []


def test_a_weak_estimate_is_refused_with_the_estimators_advice() -> None:
    """Below the minimum score the error says why in words, and what to do instead."""
    weak = Strength(
        score=1,
        warning='Repeats like "aaa" are easy to guess.',
        suggestions=("Add another word or two. Uncommon words are better.",),
    )
    assert validate_password("aaaaaaaaaaaa", common=COMMON, strength=weak, min_score=3) == [
        FieldError(
            field="password",
            message='is too easy to guess. Repeats like "aaa" are easy to guess. '
            "Add another word or two. Uncommon words are better.",
        )
    ]


def test_the_estimate_is_judged_only_when_nothing_else_is_wrong() -> None:
    """One reason at a time: a short password is not also called easy to guess."""
    assert validate_password("short", common=COMMON, strength=WEAK, min_score=3) == [TOO_SHORT]
    assert validate_password(GOOD_PASSWORD, common=COMMON, strength=WEAK, min_score=1) == []


@given(st.text(alphabet=NO_CONTROL, min_size=MIN_PASSWORD_LENGTH, max_size=MAX_PASSWORD_LENGTH))
def test_every_password_of_12_to_128_characters_not_listed_passes(password: str) -> None:
    """Any text in the length window passes unless it is on the list (bare or decorated)."""
    folded = password.lower()
    decoration = string.digits + string.punctuation + " "
    cores = {folded.lstrip(decoration), folded.rstrip(decoration), folded.strip(decoration)}
    if folded in COMMON:
        expected = [TOO_COMMON]
    elif any(core != folded and core in COMMON for core in cores):
        expected = [DECORATED]
    else:
        expected = []
    assert validate_password(password, common=COMMON) == expected


@given(st.text(min_size=MAX_PASSWORD_LENGTH + 1, max_size=4 * MAX_PASSWORD_LENGTH))
def test_every_password_over_128_characters_fails(password: str) -> None:
    """Too long is refused, never truncated into something acceptable."""
    assert TOO_LONG in validate_password(password, common=COMMON)


@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_every_password_under_12_characters_fails(password: str) -> None:
    """Too short is refused whatever it contains."""
    assert TOO_SHORT in validate_password(password, common=frozenset())


# --- the common-password list ----------------------------------------------------------------


def test_loading_skips_comments_and_blank_lines_and_lower_cases() -> None:
    """One entry per line; `#` lines and empty lines are not entries."""
    text = "# header\n\n123456\nPassWord\n  spaced  \r\n# trailing comment\n"
    assert load_common_passwords(text) == frozenset({"123456", "password", "spaced"})


def test_loading_an_empty_text_gives_an_empty_list() -> None:
    """No entries, no blocklist."""
    assert load_common_passwords("") == frozenset()


def test_the_shipped_list_is_honest_about_its_source() -> None:
    """The header names the source package, its version and its licence."""
    header = [line for line in shipped_list_text().splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert "zxcvbn 4.5.0" in text
    assert "MIT" in text


def test_the_shipped_list_holds_the_most_common_passwords() -> None:
    """About ten thousand lower-case entries, the famous ones and long ones included."""
    common = load_common_passwords(shipped_list_text())
    assert 10_000 <= len(common) <= 11_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= common
    assert {"qwerty123456", "1qaz2wsx3edc", "password1234"} <= common
    assert all(entry == entry.lower() for entry in common)


def test_the_shipped_list_stays_small() -> None:
    """The file is under 200 KB."""
    assert len(shipped_list_text().encode()) < 200_000


def test_the_shipped_list_refuses_long_common_passwords() -> None:
    """Entries long enough to pass the length rule are exactly the ones it catches."""
    common = load_common_passwords(shipped_list_text())
    assert validate_password("1Qaz2Wsx3Edc", common=common) == [TOO_COMMON]
    assert validate_password(GOOD_PASSWORD, common=common) == []


# --- validate_new_user -----------------------------------------------------------------------


def test_a_valid_new_user_is_normalised() -> None:
    """Email lower-cased and trimmed, name trimmed, password untouched."""
    result = validate_new_user(
        email=" Bob@Example.COM ",
        name=" Bob ",
        password=" " + GOOD_PASSWORD,
        role="viewer",
        common=COMMON,
    )
    assert result == NewUser(
        email="bob@example.com", name="Bob", password=" " + GOOD_PASSWORD, role="viewer"
    )


def test_every_new_user_error_is_reported_in_field_order() -> None:
    """email, name, password, role — all at once, so a form can show them together."""
    result = validate_new_user(
        email="not-an-email", name="", password="short", role="root", common=COMMON
    )
    assert result == [
        INVALID_EMAIL,
        FieldError(field="name", message="is required"),
        TOO_SHORT,
        FieldError(field="role", message="must be one of: admin, user, viewer"),
    ]


def test_the_new_password_is_compared_with_the_normalised_email() -> None:
    """`Bob.Builder.99@…` typed with capitals still matches the password `bob.builder.99`."""
    result = validate_new_user(
        email="  Bob.Builder.99@Example.com",
        name="Bob",
        password="bob.builder.99",
        role="user",
        common=COMMON,
    )
    assert result == [IS_EMAIL]


def test_the_plain_password_never_shows_in_a_new_users_repr() -> None:
    """Logging a NewUser by accident does not leak the password."""
    new = NewUser(email="a@b.co", name="A", password=GOOD_PASSWORD, role="user")
    assert GOOD_PASSWORD not in repr(new)


def test_create_user_starts_active_without_mfa_or_logins() -> None:
    """The inserted row has fresh counters and both timestamps at `now`."""
    new = NewUser(email="bob@example.com", name="Bob", password=GOOD_PASSWORD, role="admin")
    user = create_user(new, id=USER_ID, password_hash="$argon2id$hash", now=NOW)
    assert user == User(
        id=USER_ID,
        email="bob@example.com",
        name="Bob",
        password_hash="$argon2id$hash",
        role="admin",
        active=True,
        mfa_enabled=False,
        mfa_secret=None,
        failed_login_count=0,
        lockout_until=None,
        login_count=0,
        last_login=None,
        created_at=NOW,
        updated_at=NOW,
        deleted_at=None,
    )


# --- validate_user_patch ---------------------------------------------------------------------


def test_a_patch_of_every_field_is_validated() -> None:
    """name trimmed, role checked, active a boolean."""
    result = validate_user_patch({"name": " Bob ", "role": "viewer", "active": False})
    assert result == UserPatch(name="Bob", role="viewer", active=False)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"name": "Bob"}, UserPatch(name="Bob")),
        ({"role": "admin"}, UserPatch(role="admin")),
        ({"active": True}, UserPatch(active=True)),
    ],
)
def test_a_patch_may_set_a_single_field(patch: dict[str, object], expected: UserPatch) -> None:
    """Unsent fields stay None: PATCH is partial."""
    assert validate_user_patch(patch, common=COMMON) == expected


def test_an_empty_patch_is_an_error() -> None:
    """A PATCH that changes nothing is a mistake worth a 422."""
    assert validate_user_patch({}) == [
        FieldError(field="body", message="must set at least one of: active, email, name, role")
    ]


def test_a_password_cannot_be_patched() -> None:
    """A password has its own endpoint, which the error points to."""
    assert validate_user_patch({"password": GOOD_PASSWORD, "email": "new@example.com"}) == [
        FieldError(
            field="password", message="cannot be changed here; use POST /api/v1/auth/password"
        ),
    ]


def test_a_patched_email_is_normalised_like_a_new_users() -> None:
    """Trimmed and lower-cased; a malformed one, or one that is not a string, is refused."""
    assert validate_user_patch({"email": " New@Example.COM "}) == UserPatch(email="new@example.com")
    assert validate_user_patch({"email": "not an email"}) == [
        FieldError(field="email", message="must be a valid email address")
    ]
    assert validate_user_patch({"email": None}) == [
        FieldError(field="email", message="must be a string")
    ]


@pytest.mark.parametrize(
    "key", ["password_hash", "mfa_secret", "mfa_enabled", "id", "deleted_at", "failed_login_count"]
)
def test_unknown_and_internal_fields_are_refused(key: str) -> None:
    """Mass assignment of internal columns is impossible."""
    assert validate_user_patch({"name": "Bob", key: "x"}) == [
        FieldError(field=key, message="is not a field that can be updated")
    ]


@pytest.mark.parametrize(
    ("patch", "error"),
    [
        ({"name": None}, FieldError(field="name", message="must be a string")),
        ({"name": 5}, FieldError(field="name", message="must be a string")),
        ({"name": "  "}, FieldError(field="name", message="is required")),
        ({"role": None}, FieldError(field="role", message="must be a string")),
        ({"role": "root"}, FieldError(field="role", message="must be one of: admin, user, viewer")),
        ({"active": None}, FieldError(field="active", message="must be true or false")),
        ({"active": "false"}, FieldError(field="active", message="must be true or false")),
        ({"active": 0}, FieldError(field="active", message="must be true or false")),
    ],
)
def test_bad_patch_values_are_refused(patch: dict[str, object], error: FieldError) -> None:
    """null, wrong types and invalid values each get a field error."""
    assert validate_user_patch(patch) == [error]


def test_patch_errors_come_sorted_by_field() -> None:
    """A stable order, whatever order the client sent the keys in."""
    result = validate_user_patch({"role": "root", "zzz": 1, "active": "yes", "name": ""})
    assert isinstance(result, list)
    assert [error.field for error in result] == ["active", "name", "role", "zzz"]


def test_patch_fields_lists_what_it_sets() -> None:
    """`fields` feeds the permission check and the audit row."""
    assert UserPatch(name="Bob", active=False).fields == frozenset({"name", "active"})
    assert UserPatch().fields == frozenset()


def test_changed_fields_ignores_values_that_stay_the_same() -> None:
    """Setting a field to its current value is not a change."""
    user = make_user(name="Alice", role="user", active=True)
    patch = UserPatch(name="Alice", role="admin", active=True)
    assert changed_fields(user, patch) == frozenset({"role"})


def test_applying_a_patch_changes_only_the_sent_fields_and_updated_at() -> None:
    """Unsent fields keep their values; `updated_at` becomes now."""
    user = make_user()
    patched = apply_user_patch(user, UserPatch(active=False), now=NOW)
    assert patched == replace(user, active=False, updated_at=NOW)


def test_applying_an_email_patch_changes_the_email() -> None:
    """A new address is a change and is not verified; the same address is none."""
    user = make_user(email_verified_at=NOW - timedelta(days=1))
    patched = apply_user_patch(user, UserPatch(email="other@example.com"), now=NOW)
    assert patched == replace(
        user, email="other@example.com", email_verified_at=None, updated_at=NOW
    )
    assert apply_user_patch(user, UserPatch(email=user.email), now=NOW) is user
    renamed = apply_user_patch(user, UserPatch(name="Alicia"), now=NOW)
    assert renamed.email_verified_at == user.email_verified_at


def test_applying_a_no_op_patch_returns_the_user_unchanged() -> None:
    """Nothing changed, so nothing is saved and `updated_at` stays."""
    user = make_user()
    assert apply_user_patch(user, UserPatch(name=user.name), now=NOW) is user
