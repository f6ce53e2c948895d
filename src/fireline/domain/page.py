"""A page of a listing, and whether more follows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fireline.domain.errors import FieldError, Invalid

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Up to `limit` items, and whether the listing goes on after the last one."""

    items: list[T]
    more: bool

    @classmethod
    def cut(cls, fetched: Sequence[T], limit: int) -> Page[T]:
        """Make a page from `limit + 1` fetched items (the extra one only says more follows)."""
        return cls(list(fetched[:limit]), len(fetched) > limit)


def check_limit(limit: int, *, maximum: int) -> None:
    """Raise Invalid unless 1 <= limit <= maximum."""
    if not 1 <= limit <= maximum:
        raise Invalid([FieldError("limit", f"must be between 1 and {maximum}")])
