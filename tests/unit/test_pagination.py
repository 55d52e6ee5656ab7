"""RFC 5988 Link headers for listings: which relations appear where."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel.pagination import Window, page_links

BASE = "http://api/api/v1/users"


def rels(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(", "):
        url, rel = part.split("; ")
        out[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return out


def test_first_page_has_no_prev() -> None:
    links = rels(page_links(BASE, [("role", "user")], Window(limit=20, offset=0), 45))
    assert set(links) == {"first", "next", "last"}
    assert links["next"] == f"{BASE}?role=user&limit=20&offset=20"
    assert links["last"] == f"{BASE}?role=user&limit=20&offset=40"


def test_last_page_has_no_next() -> None:
    links = rels(page_links(BASE, [], Window(limit=20, offset=40), 45))
    assert set(links) == {"first", "prev", "last"}
    assert links["prev"] == f"{BASE}?limit=20&offset=20"


def test_empty_listing_points_first_and_last_at_zero() -> None:
    links = rels(page_links(BASE, [], Window(limit=10, offset=0), 0))
    assert links == {"first": f"{BASE}?limit=10&offset=0", "last": f"{BASE}?limit=10&offset=0"}


@given(st.integers(1, 50), st.integers(0, 500), st.integers(0, 500))
def test_relations_follow_position(limit: int, offset: int, total: int) -> None:
    """prev iff offset > 0; next iff more rows follow; last is a multiple of limit."""
    links = rels(page_links(BASE, [], Window(limit=limit, offset=offset), total))
    assert ("prev" in links) == (offset > 0)
    assert ("next" in links) == (offset + limit < total)
    last_offset = int(links["last"].rsplit("=", 1)[1])
    assert last_offset % limit == 0
    assert last_offset <= max(total - 1, 0)
