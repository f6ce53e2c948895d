"""Canonical JSON: the fast path writes exactly the bytes the standard library's definition does."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.domain.alerts.alert import label_fingerprint
from fireline.domain.canonical_json import canonical_json, normalize_data, normalized


def _standard(value: Any) -> bytes:
    """The definition every stored hash was made with."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


# Every code point but lone surrogates: control characters, quotes, backslashes, U+2028,
# astral planes, and keys that sort differently by UTF-16 than by code point.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
integers = st.one_of(st.integers(-(2**63), 2**64 - 1), st.integers(-(2**70), 2**70))
scalars = st.one_of(st.none(), st.booleans(), integers, texts)
plain = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(texts, inner, max_size=5),
    ),
    max_leaves=20,
)
anything = st.recursive(
    st.one_of(scalars, st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=5)),
    max_leaves=20,
)


@given(plain)
def test_plain_values_hash_as_the_standard_library_writes_them(value: Any) -> None:
    assert canonical_json(value) == _standard(value)
    assert canonical_json({"data": value}) == _standard({"data": value})


@given(st.dictionaries(texts, anything, max_size=6))
def test_normalized_data_is_what_the_standard_library_reads_back(data: dict[str, Any]) -> None:
    expected = json.loads(_standard(data))
    normalized = normalize_data(data)
    assert normalized == expected
    assert canonical_json(normalized) == _standard(expected)
    assert [type(v) for v in normalized.values()] == [type(v) for v in expected.values()]


@given(st.dictionaries(texts, anything, max_size=6), st.integers(1, 2**62), texts)
def test_data_normalized_as_plain_hashes_the_same_unchecked(
    data: dict[str, Any], seq: int, actor: str
) -> None:
    clean, plain = normalized(data)
    assert clean == normalize_data(data)
    assert plain == _is_plain(data)
    body = {"seq": seq, "actor": actor, "data": clean}  # as a timeline event wraps its data
    assert canonical_json(body, checked=plain) == _standard(body)


def _is_plain(value: Any) -> bool:
    """No floats, no integers beyond 64 bits, at any depth."""
    if isinstance(value, dict):
        return all(_is_plain(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_is_plain(item) for item in value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    return isinstance(value, int) and -(2**63) <= value <= 2**64 - 1


def test_what_is_not_plain_takes_the_standard_path_with_its_errors() -> None:
    assert canonical_json({2: "b", 10: "a"}) == _standard({2: "b", 10: "a"})
    assert normalize_data({"n": 10**30, "f": 1e16}) == {"n": 10**30, "f": 1e16}
    assert canonical_json({"f": 1e16, "g": 0.1}) == b'{"f":1e+16,"g":0.1}'
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"x": math.nan})
    with pytest.raises(ValueError, match="Out of range float"):
        normalize_data({"x": math.inf})
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"x": "\ud800"})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_subclasses_of_plain_types_are_written_as_their_values() -> None:
    class Name(str):
        pass

    assert canonical_json({"k": Name("v"), "b": True}) == b'{"b":true,"k":"v"}'
    assert type(normalize_data({"k": Name("v")})["k"]) is str


@given(st.dictionaries(texts, texts, max_size=8))
def test_label_fingerprints_are_those_stored_before_orjson(labels: dict[str, str]) -> None:
    before = json.dumps(dict(sorted(labels.items())), separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(before.encode("utf-8")).hexdigest()[:16]
    assert label_fingerprint(labels) == expected
    assert label_fingerprint(dict(reversed(labels.items()))) == expected
