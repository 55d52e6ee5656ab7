"""Go-style durations: parsing, canonical formatting and their round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.durations import EXPECTED, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("300ms", 0.3),
        ("10s", 10.0),
        ("1m30s", 90.0),
        ("2h45m", 9900.0),
        ("1.5h", 5400.0),
        ("0", 0.0),
        ("0s", 0.0),
        ("100ns", 1e-7),
        ("1us", 1e-6),
        ("1µs", 1e-6),  # micro sign, as Go prints it
        ("1μs", 1e-6),  # Greek mu, which Go also accepts
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("5.s", 5.0),
        ("+3s", 3.0),
        ("1h1h", 7200.0),
        ("1m30.5s", 90.5),
        ("  10s ", 10.0),
        ("15", 15.0),
        ("2.5", 2.5),
        ("1e3", 1000.0),
    ],
)
def test_parse_accepts_go_syntax_and_bare_seconds(text: str, seconds: float) -> None:
    """Go's time.ParseDuration spellings and bare numbers give seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("number", "seconds"), [(7, 7.0), (2.5, 2.5), (0, 0.0), (-0.0, 0.0)])
def test_parse_accepts_numbers_as_seconds(number: float, seconds: float) -> None:
    """An int or float is already seconds (negative zero becomes zero)."""
    result = parse_duration(number)
    assert result == seconds
    assert math.copysign(1.0, result) == 1.0


@pytest.mark.parametrize(
    "value",
    [
        *("", " ", "-1s", "-5", "1x", "s", "10S", "1 s", "1.5.5s", "1hm", "1h-5m", "inf", "nan"),
        *(-1, -0.5, math.inf, math.nan, True, 10**400, "9" * 400 + "h"),
    ],
)
def test_parse_rejects_malformed_or_negative_values(value: str | float) -> None:
    """A bad duration is a ValueError that says what is expected."""
    with pytest.raises(ValueError, match="expected a non-negative duration") as caught:
        parse_duration(value)
    assert EXPECTED in str(caught.value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.3, "300ms"),
        (1e-7, "100ns"),
        (1.5e-6, "1.5µs"),
        (0.0015, "1.5ms"),
        (1.5, "1.5s"),
        (10, "10s"),
        (90, "1m30s"),
        (3600, "1h0m0s"),
        (9900, "2h45m0s"),
        (604800, "168h0m0s"),
        (4e-10, "0s"),
    ],
)
def test_format_is_go_duration_string(seconds: float, text: str) -> None:
    """Formatting matches Go's Duration.String() at nanosecond resolution."""
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [-1.0, math.inf, math.nan])
def test_format_rejects_negative_and_non_finite(seconds: float) -> None:
    """Only finite, non-negative durations have a Go spelling."""
    with pytest.raises(ValueError, match="non-negative"):
        format_duration(seconds)


@given(st.integers(min_value=0, max_value=10**15))
def test_round_trip_is_exact_for_whole_nanoseconds(nanos: int) -> None:
    """Any whole number of nanoseconds survives format → parse unchanged."""
    seconds = nanos / 10**9
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_round_trip_is_within_half_a_nanosecond(seconds: float) -> None:
    """Formatting rounds to the nanosecond, and the result is stable when re-formatted."""
    text = format_duration(seconds)
    parsed = parse_duration(text)
    assert abs(parsed - seconds) <= 0.5e-9 + seconds * 1e-15
    assert format_duration(parsed) == text


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=999),
)
def test_parse_adds_up_components(hours: int, minutes: int, secs: int, millis: int) -> None:
    """``XhYmZsWms`` is the sum of its parts, to the millisecond."""
    text = f"{hours}h{minutes}m{secs}s{millis}ms"
    total_millis = ((hours * 60 + minutes) * 60 + secs) * 1000 + millis
    assert parse_duration(text) == total_millis / 1000
