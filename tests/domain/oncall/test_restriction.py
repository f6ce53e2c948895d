"""Restrictions: weekly wall-clock windows, across midnight, weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from fireline.domain.errors import FieldError
from fireline.domain.oncall.restriction import (
    Restriction,
    check_restriction,
    is_within,
    restrict,
    window_on,
    windows,
)
from fireline.domain.oncall.shift import Shift

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6
WEEKDAYS = frozenset(range(5))
# 2024-06-07 is a Friday.
FRIDAY_NIGHT = Restriction(frozenset({FRIDAY}), time(22), time(6))


def _berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("local", "inside"),
    [
        ((2024, 6, 7, 21, 59), False),
        ((2024, 6, 7, 22, 0), True),
        ((2024, 6, 7, 23, 30), True),
        ((2024, 6, 8, 5, 59), True),
        ((2024, 6, 8, 6, 0), False),
        ((2024, 6, 8, 23, 0), False),  # Saturday night: the window starts on Fridays only
        ((2024, 6, 6, 23, 0), False),  # Thursday night
    ],
)
def test_window_past_midnight_belongs_to_the_day_it_starts(
    local: tuple[int, int, int, int, int], *, inside: bool
) -> None:
    assert is_within((FRIDAY_NIGHT,), zone=BERLIN, at=_berlin(*local)) is inside


def test_equal_start_and_end_is_a_full_day_and_touching_days_merge() -> None:
    weekend = Restriction(frozenset({SATURDAY, SUNDAY}), time(0), time(0))
    spans = windows(
        (weekend,), zone=BERLIN, start_at=_berlin(2024, 6, 3), end_at=_berlin(2024, 6, 17)
    )
    assert spans == [
        (_berlin(2024, 6, 8), _berlin(2024, 6, 10)),
        (_berlin(2024, 6, 15), _berlin(2024, 6, 17)),
    ]


def test_windows_are_clipped_to_the_query_and_overlapping_ones_unioned() -> None:
    morning = Restriction(WEEKDAYS, time(7), time(12))
    day = Restriction(WEEKDAYS, time(9), time(19))
    spans = windows(
        (morning, day),
        zone=BERLIN,
        start_at=_berlin(2024, 6, 3, 8),
        end_at=_berlin(2024, 6, 4, 10),
    )
    assert spans == [
        (_berlin(2024, 6, 3, 8), _berlin(2024, 6, 3, 19)),
        (_berlin(2024, 6, 4, 7), _berlin(2024, 6, 4, 10)),
    ]


def test_window_that_started_the_day_before_the_query_is_found() -> None:
    spans = windows(
        (FRIDAY_NIGHT,),
        zone=BERLIN,
        start_at=_berlin(2024, 6, 8, 3),
        end_at=_berlin(2024, 6, 8, 12),
    )
    assert spans == [(_berlin(2024, 6, 8, 3), _berlin(2024, 6, 8, 6))]


def test_full_day_window_across_spring_forward_lasts_23_hours() -> None:
    sunday = Restriction(frozenset({SUNDAY}), time(0), time(0))
    span = window_on(sunday, date(2024, 3, 31), zone=BERLIN)
    assert span is not None
    assert span[1] - span[0] == _berlin(2024, 4, 1) - _berlin(2024, 3, 31)
    assert (span[1] - span[0]).total_seconds() == 23 * 3600


def test_window_starting_in_the_gap_starts_when_the_clocks_reach_it() -> None:
    early = Restriction(frozenset({SUNDAY}), time(2, 30), time(6))
    span = window_on(early, date(2024, 3, 31), zone=BERLIN)
    assert span == (datetime(2024, 3, 31, 1, 30, tzinfo=UTC), _berlin(2024, 3, 31, 6))


def test_window_that_resolves_backwards_inside_the_gap_is_empty() -> None:
    sliver = Restriction(frozenset({SUNDAY}), time(2, 30), time(3, 15))
    assert window_on(sliver, date(2024, 3, 31), zone=BERLIN) is None
    assert window_on(sliver, date(2024, 4, 7), zone=BERLIN) is not None


def test_window_on_a_day_not_listed_is_none() -> None:
    assert window_on(FRIDAY_NIGHT, date(2024, 6, 8), zone=BERLIN) is None


def test_no_restrictions_means_always_within() -> None:
    assert is_within((), zone=BERLIN, at=_berlin(2024, 6, 8, 3))


def test_restrict_keeps_only_the_parts_inside_the_spans() -> None:
    shifts = [
        Shift("a", _berlin(2024, 6, 3), _berlin(2024, 6, 4), "l"),
        Shift("b", _berlin(2024, 6, 4), _berlin(2024, 6, 5), "l"),
    ]
    spans = [
        (_berlin(2024, 6, 3, 7), _berlin(2024, 6, 3, 19)),
        (_berlin(2024, 6, 3, 22), _berlin(2024, 6, 4, 6)),
    ]
    assert restrict(shifts, spans) == [
        Shift("a", _berlin(2024, 6, 3, 7), _berlin(2024, 6, 3, 19), "l"),
        Shift("a", _berlin(2024, 6, 3, 22), _berlin(2024, 6, 4), "l"),
        Shift("b", _berlin(2024, 6, 4), _berlin(2024, 6, 4, 6), "l"),
    ]


@pytest.mark.parametrize(
    ("restriction", "fields"),
    [
        (Restriction(frozenset(), time(7), time(19)), ["r.days"]),
        (Restriction(frozenset({7}), time(7), time(19)), ["r.days"]),
        (Restriction(frozenset({-1, 2}), time(7), time(19)), ["r.days"]),
        (
            Restriction(frozenset({1}), time(7, tzinfo=UTC), time(19, tzinfo=UTC)),
            ["r.start", "r.end"],
        ),
        (Restriction(frozenset({0, 6}), time(7), time(7)), []),
    ],
)
def test_check_restriction_names_each_bad_part(restriction: Restriction, fields: list[str]) -> None:
    errors: list[FieldError] = []
    assert check_restriction(errors, restriction, field="r") == restriction
    assert [e.field for e in errors] == fields
