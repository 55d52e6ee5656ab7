"""Kernel (pure): Go-style durations as float seconds.

Operators copy durations from Go tooling and Kubernetes manifests (``300ms``, ``1m30s``,
``2h45m``), so configuration accepts Go's ``time.ParseDuration`` syntax as well as a bare
number of seconds. Arithmetic is done with :class:`fractions.Fraction` so that ``1.1s`` and
``1m30.5s`` become the float nearest the exact value, and formatting is exact to the
nanosecond (Go's resolution), which makes ``parse_duration(format_duration(x))`` round-trip.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

EXPECTED = (
    "expected a non-negative duration in Go syntax (300ms, 10s, 1m30s, 2h45m, 1.5h; "
    "units ns, us, µs, ms, s, m, h) or a bare number of seconds"
)

_NANOS_PER_UNIT: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 MICRO SIGN, what Go prints
    "μs": 1_000,  # U+03BC GREEK SMALL LETTER MU, which Go also accepts
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_NUMBER = r"(?:\d+\.?\d*|\.\d+)"
_UNIT = "(?:ns|us|µs|μs|ms|s|m|h)"  # longer units first so "ms" is never read as "m" + "s"
_COMPONENT = re.compile(rf"({_NUMBER})({_UNIT})")
_GO_DURATION = re.compile(rf"\+?(?:{_NUMBER}{_UNIT})+")
_BARE_NUMBER = re.compile(r"\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NANOS_PER_SECOND = 1_000_000_000


def parse_duration(value: str | int | float) -> float:
    """Seconds described by ``value``; ``ValueError`` (saying what is expected) otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"invalid duration {value!r}: {EXPECTED}")
    if isinstance(value, str):
        return _parse_text(value)
    return _checked(_to_float(value, value), value)


def _parse_text(text: str) -> float:
    stripped = text.strip()
    if _BARE_NUMBER.fullmatch(stripped):
        return _checked(_to_float(stripped, text), text)
    if not _GO_DURATION.fullmatch(stripped):
        raise ValueError(f"invalid duration {text!r}: {EXPECTED}")
    nanos = sum(
        (Fraction(number) * _NANOS_PER_UNIT[unit] for number, unit in _COMPONENT.findall(stripped)),
        Fraction(0),
    )
    return _checked(_to_float(nanos / _NANOS_PER_SECOND, text), text)


def _to_float(number: str | float | Fraction, original: object) -> float:
    """``float(number)``, reporting overflow (``10**400``) like any other bad duration."""
    try:
        return float(number)
    except OverflowError:
        raise ValueError(f"invalid duration {original!r}: {EXPECTED}") from None


def _checked(seconds: float, original: object) -> float:
    """``seconds`` if finite and non-negative (``-0.0`` becomes ``0.0``)."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"invalid duration {original!r}: {EXPECTED}")
    return seconds + 0.0


def format_duration(seconds: float) -> str:
    """Go's ``Duration.String()`` for ``seconds`` rounded to the nanosecond.

    Below one second a single unit with a decimal fraction (``1.5µs``, ``300ms``); from one
    second on hours, minutes and seconds, leading zero units omitted (``10s``, ``1m30s``,
    ``2h45m0s``, ``1.5s``); zero is ``0s``. The micro unit is printed as ``µs`` like Go.
    """
    if isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format {seconds!r}: expected a finite, non-negative duration")
    nanos = round(Fraction(seconds) * _NANOS_PER_SECOND)
    if nanos == 0:
        return "0s"
    if nanos < _NANOS_PER_SECOND:
        return _format_subsecond(nanos)
    return _format_clock(nanos)


def _format_subsecond(nanos: int) -> str:
    if nanos < 1_000:
        return f"{nanos}ns"
    if nanos < 1_000_000:
        return f"{_decimal(nanos, 3)}µs"
    return f"{_decimal(nanos, 6)}ms"


def _format_clock(nanos: int) -> str:
    hours, rest = divmod(nanos, _NANOS_PER_UNIT["h"])
    minutes, rest = divmod(rest, _NANOS_PER_UNIT["m"])
    text = f"{_decimal(rest, 9)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    return f"{hours}h{text}" if hours else text


def _decimal(value: int, scale: int) -> str:
    """``value / 10**scale`` written exactly, without trailing zeros (``1500, 3`` → ``1.5``)."""
    whole, fraction = divmod(value, 10**scale)
    digits = f"{fraction:0{scale}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
