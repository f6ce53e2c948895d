"""Canonical JSON, the bytes a timeline event hashes as: sorted keys, no spaces, UTF-8.

The definition is the standard library's `json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`, and every stored hash was made with it. Most event data
is plain, though: string keys, and strings, integers, booleans, None, lists and dicts of those.
For plain data orjson writes the very same bytes (tested property by property) about ten times
faster; anything else (floats, non-string keys, subclasses, 65-bit integers) takes the
standard library's path, with its errors.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_STANDARD = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# orjson refuses integers outside 64 bits; Python's JSON does not. Keep those on its path.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_NOT_PLAIN = object()


def canonical_json(value: Any, *, checked: bool = False) -> bytes:
    """Return the one byte string a JSON value hashes as.

    `checked`: the caller knows `value` is plain (string keys; strings, integers of 64 bits,
    booleans, None, lists and dicts of those), say because `normalized` found its data so and
    it wraps it in more of the same; it is then not walked a second time.
    """
    if checked or _plain_copy(value) is not _NOT_PLAIN:
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate, say: the standard library reports it its own way
    return _STANDARD.encode(value).encode("utf-8")


def normalize_data(data: dict[str, Any]) -> dict[str, Any]:
    """Return `data` as it will read back from storage (plain JSON types only)."""
    return normalized(data)[0]


def normalized(data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Return `data` as it will read back from storage, and whether it was plain already.

    Plain: no floats, no integers beyond 64 bits, nothing but JSON's own types (see above).
    """
    copy = _plain_copy(data)
    if copy is not _NOT_PLAIN:
        assert isinstance(copy, dict)
        return copy, True
    loaded: dict[str, Any] = json.loads(_STANDARD.encode(data))
    return loaded, False


def _plain_copy(value: Any) -> Any:
    """Return plain `value` as JSON reads it back (sorted keys, tuples as lists), or _NOT_PLAIN."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if _INT_MIN <= value <= _INT_MAX else _NOT_PLAIN
    if kind is dict:
        return _plain_dict(value)
    if kind is list or kind is tuple:
        items = [_plain_copy(item) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in items) else items
    return _NOT_PLAIN


def _plain_dict(value: dict[Any, Any]) -> Any:
    try:
        keys = sorted(value)
    except TypeError:  # keys of several types
        return _NOT_PLAIN
    copy: dict[str, Any] = {}
    for key in keys:
        item = value[key]
        kind = type(item)
        if type(key) is not str:
            return _NOT_PLAIN
        if kind is str or kind is bool or item is None:
            copy[key] = item  # the common case, without a call
        elif (copied := _plain_copy(item)) is not _NOT_PLAIN:
            copy[key] = copied
        else:
            return _NOT_PLAIN
    return copy
