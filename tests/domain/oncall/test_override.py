"""Overrides: validation, precedence among overlapping overrides, and their flattened shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.domain.errors import Invalid
from fireline.domain.oncall.override import (
    Override,
    make_override,
    override_at,
    override_shifts,
)
from fireline.domain.oncall.shift import Shift
from tests.domain.oncall.strategies import PROPERTY, overrides, windows

T0 = datetime(2024, 6, 3, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _override(user: str, start: float, end: float) -> Override:
    return Override(user, _at(start), _at(end))


def test_later_starting_override_wins_where_they_overlap() -> None:
    both = [_override("late", 2, 4), _override("early", 0, 6)]
    assert override_at(both, at=_at(1)) == "early"
    assert override_at(both, at=_at(3)) == "late"
    assert override_at(both, at=_at(5)) == "early"
    assert override_at(both, at=_at(6)) is None
    assert override_shifts(both, start_at=_at(-1), end_at=_at(10)) == [
        Shift("early", _at(0), _at(2), "override"),
        Shift("late", _at(2), _at(4), "override"),
        Shift("early", _at(4), _at(6), "override"),
    ]


def test_on_equal_starts_the_later_in_the_list_wins() -> None:
    both = [_override("first", 0, 4), _override("second", 0, 2)]
    assert override_at(both, at=_at(1)) == "second"
    assert override_at(both, at=_at(3)) == "first"


def test_override_shifts_are_clipped_to_the_window() -> None:
    assert override_shifts([_override("ann", 0, 10)], start_at=_at(2), end_at=_at(3)) == [
        Shift("ann", _at(2), _at(3), "override")
    ]
    assert override_shifts([_override("ann", 0, 1)], start_at=_at(2), end_at=_at(3)) == []


def test_override_in_another_zone_is_compared_as_an_instant() -> None:
    override = Override("ann", datetime(2024, 6, 3, 9, tzinfo=UTC), _at(12))
    berlin = datetime(2024, 6, 3, 11, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert override_at([override], at=berlin) == "ann"
    assert override_shifts([override], start_at=berlin, end_at=_at(24))[0].start_at == _at(9.5)


def test_make_override_lists_every_bad_field() -> None:
    with pytest.raises(Invalid) as caught:
        make_override(
            "",
            start_at=datetime(2024, 6, 3),  # noqa: DTZ001 - naive on purpose
            end_at=datetime(2024, 6, 4),  # noqa: DTZ001 - naive on purpose
        )
    assert [e.field for e in caught.value.errors] == ["user", "start_at", "end_at"]
    with pytest.raises(Invalid) as caught:
        make_override("ann", start_at=_at(2), end_at=_at(2))
    assert [e.field for e in caught.value.errors] == ["end_at"]
    assert make_override(" ann ", start_at=_at(0), end_at=_at(1), id="ov-7") == Override(
        "ann", _at(0), _at(1), "ov-7"
    )


@PROPERTY
@given(
    chosen=st.lists(overrides(), max_size=5),
    span=windows(),
    offsets=st.lists(st.integers(0, 2**40), max_size=6),
)
def test_flattened_overrides_agree_with_override_at(
    chosen: list[Override], span: tuple[datetime, datetime], offsets: list[int]
) -> None:
    start_at, end_at = span
    shifts = override_shifts(chosen, start_at=start_at, end_at=end_at)
    assert all(a.end_at <= b.start_at for a, b in pairwise(shifts))
    assert all(start_at <= s.start_at < s.end_at <= end_at for s in shifts)
    micros = (end_at - start_at) // timedelta(microseconds=1)
    probes = [start_at + timedelta(microseconds=o % micros) for o in offsets if micros]
    probes += [s.start_at for s in shifts]
    for at in probes:
        covering = [
            (o.start_at, i, o.user) for i, o in enumerate(chosen) if o.start_at <= at < o.end_at
        ]
        expected = max(covering)[2] if covering else None
        holders = [s.user for s in shifts if s.contains(at)]
        assert override_at(chosen, at=at) == expected == (holders[0] if holders else None)
