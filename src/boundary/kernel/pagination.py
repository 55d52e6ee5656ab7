"""Pagination (pure): a page of results and its total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One slice of a listing plus how many rows match in all (for `total` and `Link`)."""

    items: tuple[T, ...]
    total: int
