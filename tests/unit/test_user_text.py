"""User core text rules: what counts as a control character, and how it is shown."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.user.core.text import (
    CONTROL_CATEGORIES,
    NO_CONTROL_PATTERN,
    has_control_characters,
    visible,
)

ANY_CODE_POINT = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())


@pytest.mark.parametrize(
    "char", ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f", "\ud800"]
)
def test_c0_c1_del_and_surrogates_are_control_characters(char: str) -> None:
    assert has_control_characters(f"abc{char}def")


@pytest.mark.parametrize(
    "text", ["", "plain", "José 李 👩\u200d💻", "\u00a0nbsp", "\ue000", "\u2028"]
)
def test_letters_spaces_emoji_joiners_and_private_use_are_not(text: str) -> None:
    """Only Cc and Cs: format characters, private use and separators are text here."""
    assert not has_control_characters(text)


@given(ANY_CODE_POINT)
def test_the_check_is_exactly_unicode_categories_cc_and_cs(char: str) -> None:
    assert has_control_characters(char) == (unicodedata.category(char) in CONTROL_CATEGORIES)


@given(st.text(max_size=20))
def test_the_openapi_pattern_says_the_same_as_the_check(text: str) -> None:
    """The JSON Schema `pattern` documented for every text field accepts exactly what the
    server accepts, for every Unicode string (the ones without lone surrogates)."""
    assert (re.fullmatch(NO_CONTROL_PATTERN, text) is not None) == (
        not has_control_characters(text)
    )


def test_visible_escapes_control_characters() -> None:
    """An attempted `nobody\\x00@x.test` is recorded as `nobody\\u0000@x.test`."""
    assert visible("nobody\x00@x.test") == "nobody\\u0000@x.test"
    assert visible("a\tb\x85\ud800") == "a\\u0009b\\u0085\\ud800"


@given(st.text(alphabet=ANY_CODE_POINT, max_size=20))
def test_visible_text_has_no_control_characters_and_keeps_the_rest(text: str) -> None:
    shown = visible(text)
    assert not has_control_characters(shown)
    if not has_control_characters(text):
        assert shown == text
