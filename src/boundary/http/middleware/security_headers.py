"""HTTP shell: browser-hardening headers on every response (§5), added by the edge.

The header list is encoded once; per response the edge's only work is one pass over the app's
own headers. A header the app already set wins (a docs page may need its own CSP, an
endpoint may allow caching), and `Cache-Control: no-store` is the default because most of
this API's responses carry user data or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

_FORBIDDEN_CHARACTERS: Final = frozenset("\r\n\0")


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityHeaderValues:
    """The configurable values; X-Frame-Options and X-Content-Type-Options are fixed."""

    csp: str
    hsts: str
    x_xss_protection: str
    referrer_policy: str

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not value.strip() or _FORBIDDEN_CHARACTERS.intersection(value):
                raise ValueError(
                    f"security header value {field.name}={value!r} must be non-empty "
                    "and contain no CR, LF or NUL"
                )
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(
                    f"security header value {field.name}={value!r} must be Latin-1"
                ) from None


def security_header_list(values: SecurityHeaderValues) -> tuple[tuple[bytes, bytes], ...]:
    """The raw ASGI headers, lowercase names, in a stable order."""
    pairs = (
        ("content-security-policy", values.csp),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("strict-transport-security", values.hsts),
        ("x-xss-protection", values.x_xss_protection),
        ("referrer-policy", values.referrer_policy),
        ("cache-control", "no-store"),
    )
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs)
