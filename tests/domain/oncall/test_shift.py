"""Shifts and the instant arithmetic: wall-time resolution, clipping, overlaying and merging."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.domain.errors import Invalid
from fireline.domain.oncall.shift import (
    Shift,
    as_utc,
    clip,
    find_zone,
    merge_adjacent,
    overlay,
    wall_to_utc,
    window,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _shift(user: str, start: float, end: float, layer: str = "l") -> Shift:
    return Shift(user, _at(start), _at(end), layer)


def test_wall_time_on_an_ordinary_day_uses_that_days_offset() -> None:
    assert wall_to_utc(date(2024, 1, 15), time(9), zone=BERLIN) == datetime(
        2024, 1, 15, 8, tzinfo=UTC
    )
    assert wall_to_utc(date(2024, 7, 15), time(9), zone=BERLIN) == datetime(
        2024, 7, 15, 7, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "day"), [(BERLIN, date(2024, 3, 31)), (NEW_YORK, date(2024, 3, 10))]
)
def test_wall_time_in_spring_forward_gap_moves_forward_by_the_gap(
    zone: ZoneInfo, day: date
) -> None:
    local = wall_to_utc(day, time(2, 30), zone=zone).astimezone(zone)
    assert (local.date(), local.time()) == (day, time(3, 30))


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        (BERLIN, date(2024, 10, 27), datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
        (NEW_YORK, date(2024, 11, 3), datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
    ],
)
def test_ambiguous_wall_time_takes_the_first_occurrence(
    zone: ZoneInfo, day: date, expected: datetime
) -> None:
    assert wall_to_utc(day, time(1 if zone is NEW_YORK else 2, 30), zone=zone) == expected
    # A wall time that asks for the second occurrence is still read as the first.
    folded = time(1 if zone is NEW_YORK else 2, 30, fold=1)
    assert wall_to_utc(day, folded, zone=zone) == expected


def test_as_utc_converts_and_rejects_naive_instants() -> None:
    local = datetime(2024, 7, 1, 12, tzinfo=BERLIN)
    assert as_utc(local, field="at") == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert as_utc(local, field="at").tzinfo is UTC
    with pytest.raises(Invalid) as caught:
        as_utc(datetime(2024, 7, 1, 12), field="at")  # noqa: DTZ001 - naive on purpose
    assert [e.field for e in caught.value.errors] == ["at"]


def test_reversed_window_is_invalid_and_empty_window_is_fine() -> None:
    assert window(_at(1), _at(1)) == (_at(1), _at(1))
    with pytest.raises(Invalid) as caught:
        window(_at(2), _at(1))
    assert [e.field for e in caught.value.errors] == ["end_at"]


@pytest.mark.parametrize("name", ["", "Nope/Zone", "../etc/passwd", "utc", "Europe", "x" * 300])
def test_find_zone_returns_none_for_unknown_names(name: str) -> None:
    assert find_zone(name) is None


def test_find_zone_finds_iana_zones() -> None:
    assert find_zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")


def test_clip_cuts_to_the_window_and_drops_what_falls_outside() -> None:
    shifts = [_shift("a", 0, 2), _shift("b", 2, 4), _shift("c", 4, 6)]
    assert clip(shifts, start_at=_at(1), end_at=_at(4)) == [_shift("a", 1, 2), _shift("b", 2, 4)]


def test_overlay_keeps_top_and_the_bare_parts_of_base() -> None:
    base = [_shift("a", 0, 10, "low")]
    top = [_shift("b", 2, 3, "high"), _shift("c", 5, 12, "high")]
    assert overlay(base, top) == [
        _shift("a", 0, 2, "low"),
        _shift("b", 2, 3, "high"),
        _shift("a", 3, 5, "low"),
        _shift("c", 5, 12, "high"),
    ]


def test_overlay_onto_nothing_is_the_top_and_of_nothing_is_the_base() -> None:
    pieces = [_shift("a", 0, 1), _shift("b", 3, 4)]
    assert overlay([], pieces) == pieces
    assert overlay(pieces, []) == pieces


def test_overlay_hides_base_pieces_wholly_under_top() -> None:
    base = [_shift("a", 0, 1), _shift("b", 1, 2), _shift("c", 2, 3)]
    assert overlay(base, [_shift("z", 0.5, 2.5)]) == [
        _shift("a", 0, 0.5),
        _shift("z", 0.5, 2.5),
        _shift("c", 2.5, 3),
    ]


def test_merge_adjacent_joins_touching_same_user_pieces_keeping_first_layer() -> None:
    pieces = [
        _shift("a", 0, 1, "low"),
        _shift("a", 1, 2, "high"),
        _shift("b", 2, 3, "low"),
        _shift("b", 4, 5, "low"),
    ]
    assert merge_adjacent(pieces) == [
        _shift("a", 0, 2, "low"),
        _shift("b", 2, 3, "low"),
        _shift("b", 4, 5, "low"),
    ]


def test_shift_contains_its_start_but_not_its_end() -> None:
    shift = _shift("a", 0, 1)
    assert shift.contains(_at(0))
    assert not shift.contains(_at(1))
    assert not shift.contains(_at(-0.001))
