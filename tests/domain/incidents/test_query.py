"""Cursors of the incident list."""

from __future__ import annotations

import pytest

from fireline.domain.errors import Invalid, NotFound
from fireline.domain.incidents.query import decode_cursor, encode_cursor
from fireline.domain.incidents.ref import format_ref, parse_ref


def test_cursor_round_trips() -> None:
    assert decode_cursor(encode_cursor(1234)) == 1234


@pytest.mark.parametrize("garbage", ["", "!!!", "e30", "eyJiZWZvcmUiOiAiMSJ9"])
def test_garbage_cursor_is_invalid(garbage: str) -> None:
    with pytest.raises(Invalid):
        decode_cursor(garbage)


@pytest.mark.parametrize("ref", ["INC-12", "inc-12", "12", " 12 "])
def test_refs_accept_both_forms(ref: str) -> None:
    assert parse_ref(ref) == 12
    assert format_ref(12) == "INC-12"


@pytest.mark.parametrize("ref", ["INC-0", "INC-", "twelve", "INC-12x", "-3"])
def test_bad_refs_name_no_incident(ref: str) -> None:
    with pytest.raises(NotFound):
        parse_ref(ref)
