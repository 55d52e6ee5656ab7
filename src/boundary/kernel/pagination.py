"""Pagination (pure): a page of results, its window, and RFC 5988 `Link` headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One slice of a listing plus how many rows match in all (for `total` and `Link`)."""

    items: tuple[T, ...]
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """`limit` and `offset` of a listing request, already validated."""

    limit: int
    offset: int


def page_links(base: str, params: Sequence[tuple[str, str]], window: Window, total: int) -> str:
    """An RFC 5988 `Link` header value: first and last always; prev unless on the first page;
    next unless on the last. `params` are the other query parameters, kept in every link."""
    limit, offset = window.limit, window.offset
    last = max(0, (total - 1) // limit * limit) if total else 0
    links = [("first", 0)]
    if offset > 0:
        links.append(("prev", max(0, offset - limit)))
    if offset + limit < total:
        links.append(("next", offset + limit))
    links.append(("last", last))
    return ", ".join(f'<{_url(base, params, limit, at)}>; rel="{rel}"' for rel, at in links)


def _url(base: str, params: Sequence[tuple[str, str]], limit: int, offset: int) -> str:
    query = urlencode([*params, ("limit", str(limit)), ("offset", str(offset))])
    return f"{base}?{query}"
