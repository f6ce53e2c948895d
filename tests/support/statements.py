"""Counting the rows a statement seen by `before_cursor_execute` carries."""

from __future__ import annotations

from typing import Any


def rows_of(params: Any, *, executemany: bool) -> int:
    """Return the rows a statement carries.

    One per execution of an executemany, one per array element of PostgreSQL's
    one-array-per-column statements (store/bulk_insert.py), else one.
    """
    if executemany:
        return len(params)
    if isinstance(params, dict):
        arrays = [value for value in params.values() if isinstance(value, list)]
        if arrays:
            return len(arrays[0])
    return 1
