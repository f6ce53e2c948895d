"""Schedules: stacked layers, follow-the-sun, overrides on top, and the final shifts' properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.domain.errors import Invalid
from fireline.domain.oncall.override import Override
from fireline.domain.oncall.restriction import Restriction
from fireline.domain.oncall.rotation import Layer, RotationUnit, make_layer, user_at
from fireline.domain.oncall.schedule import Schedule, final_shifts, make_schedule, on_call
from fireline.domain.oncall.shift import Shift
from tests.domain.oncall.strategies import PROPERTY, overrides, schedules, windows

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
DAYTIME = (Restriction(WEEKDAYS, time(7), time(19)),)


def _utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def _follow_the_sun() -> Schedule:
    base = make_layer(
        "base",
        users=["carol"],
        rotation_length=1,
        rotation_unit=RotationUnit.WEEKS,
        handoff=time(9),
        time_zone="UTC",
        start_at=_utc(1, 1, 0),
    )
    europe = make_layer(
        "europe",
        users=["eve", "emil"],
        rotation_length=1,
        rotation_unit=RotationUnit.DAYS,
        handoff=time(7),
        time_zone="Europe/Berlin",
        start_at=datetime(2024, 1, 1, 7, tzinfo=BERLIN),
        restrictions=DAYTIME,
    )
    america = make_layer(
        "america",
        users=["uma"],
        rotation_length=1,
        rotation_unit=RotationUnit.WEEKS,
        handoff=time(7),
        time_zone="America/New_York",
        start_at=datetime(2024, 1, 1, 7, tzinfo=NEW_YORK),
        restrictions=DAYTIME,
    )
    return make_schedule("ops", time_zone="Europe/Berlin", layers=[base, europe, america])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Summer: Berlin is UTC+2 and New York UTC-4; 2024-06-04 is a Tuesday (emil's day).
        (_utc(6, 4, 4, 59), "carol"),
        (_utc(6, 4, 5), "emil"),
        (_utc(6, 4, 10, 59), "emil"),
        (_utc(6, 4, 11), "uma"),  # both regions are on: the higher layer wins
        (_utc(6, 4, 16, 59), "uma"),
        (_utc(6, 4, 22, 59), "uma"),
        (_utc(6, 4, 23), "carol"),
        (_utc(6, 5, 5), "eve"),
        (_utc(6, 8, 12), "carol"),  # Saturday: both restricted layers are off
        # Winter: Berlin is UTC+1 and New York UTC-5.
        (_utc(1, 9, 5, 30), "carol"),
        (_utc(1, 9, 6), "eve"),  # eight days after eve's first day: her turn again
        (_utc(1, 9, 11, 59), "eve"),
        (_utc(1, 9, 12), "uma"),
        (_utc(1, 10, 0), "carol"),
    ],
)
def test_follow_the_sun_hands_the_pager_around_the_world(at: datetime, expected: str) -> None:
    assert on_call(_follow_the_sun(), [], at=at) == expected


def test_follow_the_sun_final_shifts_for_one_day() -> None:
    shifts = final_shifts(_follow_the_sun(), [], start_at=_utc(6, 4, 0), end_at=_utc(6, 5, 0))
    assert shifts == [
        Shift("carol", _utc(6, 4, 0), _utc(6, 4, 5), "base"),
        Shift("emil", _utc(6, 4, 5), _utc(6, 4, 11), "europe"),
        Shift("uma", _utc(6, 4, 11), _utc(6, 4, 23), "america"),
        Shift("carol", _utc(6, 4, 23), _utc(6, 5, 0), "base"),
    ]


def test_override_beats_every_layer_and_the_layers_resume_after_it() -> None:
    schedule = _follow_the_sun()
    cover = [Override("olga", _utc(6, 4, 10), _utc(6, 4, 12), "ov-1")]
    assert on_call(schedule, cover, at=_utc(6, 4, 11)) == "olga"
    assert on_call(schedule, cover, at=_utc(6, 4, 12)) == "uma"
    shifts = final_shifts(schedule, cover, start_at=_utc(6, 4, 9), end_at=_utc(6, 4, 13))
    assert shifts == [
        Shift("emil", _utc(6, 4, 9), _utc(6, 4, 10), "europe"),
        Shift("olga", _utc(6, 4, 10), _utc(6, 4, 12), "override"),
        Shift("uma", _utc(6, 4, 12), _utc(6, 4, 13), "america"),
    ]


def test_override_by_the_user_on_call_merges_keeping_the_first_layer() -> None:
    cover = [Override("emil", _utc(6, 4, 10), _utc(6, 4, 12))]
    shifts = final_shifts(_follow_the_sun(), cover, start_at=_utc(6, 4, 9), end_at=_utc(6, 4, 13))
    assert shifts == [
        Shift("emil", _utc(6, 4, 9), _utc(6, 4, 12), "europe"),
        Shift("uma", _utc(6, 4, 12), _utc(6, 4, 13), "america"),
    ]


def test_nobody_is_on_call_in_the_gaps_of_restricted_layers() -> None:
    office = make_layer(
        "office",
        users=["ann"],
        rotation_length=1,
        rotation_unit=RotationUnit.WEEKS,
        handoff=time(9),
        time_zone="Europe/Berlin",
        start_at=datetime(2024, 6, 3, 9, tzinfo=BERLIN),
        restrictions=DAYTIME,
    )
    schedule = make_schedule("office", time_zone="Europe/Berlin", layers=[office])
    assert on_call(schedule, [], at=_utc(6, 4, 3)) is None
    assert on_call(schedule, [], at=_utc(6, 3, 6)) is None  # before the layer starts
    shifts = final_shifts(schedule, [], start_at=_utc(6, 3, 0), end_at=_utc(6, 5, 0))
    assert shifts == [
        Shift("ann", _utc(6, 3, 7), _utc(6, 3, 17), "office"),
        Shift("ann", _utc(6, 4, 5), _utc(6, 4, 17), "office"),
    ]


def test_schedule_without_layers_has_only_its_overrides() -> None:
    schedule = make_schedule("empty", time_zone="UTC", layers=[])
    cover = [Override("ann", _utc(6, 4, 1), _utc(6, 4, 2))]
    assert on_call(schedule, [], at=_utc(6, 4, 1)) is None
    assert on_call(schedule, cover, at=_utc(6, 4, 1)) == "ann"
    assert final_shifts(schedule, cover, start_at=_utc(6, 4, 0), end_at=_utc(6, 5, 0)) == [
        Shift("ann", _utc(6, 4, 1), _utc(6, 4, 2), "override")
    ]


def test_make_schedule_lists_every_bad_field() -> None:
    layer = _follow_the_sun().layers[0]
    with pytest.raises(Invalid) as caught:
        make_schedule(" ", time_zone="Nowhere/Land", layers=[layer, layer])
    assert [e.field for e in caught.value.errors] == ["name", "time_zone", "layers[1].name"]


def test_reversed_window_is_invalid() -> None:
    with pytest.raises(Invalid):
        final_shifts(_follow_the_sun(), [], start_at=_utc(6, 5, 0), end_at=_utc(6, 4, 0))


# Properties ------------------------------------------------------------------------------------


def _expected(schedule: Schedule, chosen: list[Override], at: datetime) -> tuple[str, str] | None:
    """Who is on call at `at` and from which layer, worked out from the definitions."""
    covering = [
        (o.start_at, i, o.user) for i, o in enumerate(chosen) if o.start_at <= at < o.end_at
    ]
    if covering:
        return max(covering)[2], "override"
    layers: list[Layer] = list(schedule.layers)
    for layer in reversed(layers):
        user = user_at(layer, at=at)
        if user is not None:
            return user, layer.name
    return None


@PROPERTY
@given(
    schedule=schedules(),
    chosen=st.lists(overrides(), max_size=3),
    span=windows(),
    offsets=st.lists(st.integers(0, 2**40), max_size=6),
)
def test_on_call_agrees_with_final_shifts_overrides_and_layers(
    schedule: Schedule,
    chosen: list[Override],
    span: tuple[datetime, datetime],
    offsets: list[int],
) -> None:
    start_at, end_at = span
    shifts = final_shifts(schedule, chosen, start_at=start_at, end_at=end_at)
    for shift in shifts:
        assert _expected(schedule, chosen, shift.start_at) == (shift.user, shift.layer)
    micros = (end_at - start_at) // timedelta(microseconds=1)
    probes = [start_at + timedelta(microseconds=o % micros) for o in offsets if micros]
    probes += [s.end_at for s in shifts if s.end_at < end_at]
    for at in probes:
        holders = [s.user for s in shifts if s.contains(at)]
        assert len(holders) <= 1
        expected = _expected(schedule, chosen, at)
        who = on_call(schedule, chosen, at=at)
        assert who == (holders[0] if holders else None)
        assert who == (expected[0] if expected else None)


@PROPERTY
@given(schedule=schedules(), chosen=st.lists(overrides(), max_size=3), span=windows())
def test_final_shifts_are_sorted_disjoint_and_merged(
    schedule: Schedule, chosen: list[Override], span: tuple[datetime, datetime]
) -> None:
    start_at, end_at = span
    shifts = final_shifts(schedule, chosen, start_at=start_at, end_at=end_at)
    assert all(start_at <= s.start_at < s.end_at <= end_at for s in shifts)
    assert all(s.start_at.tzinfo is UTC and s.end_at.tzinfo is UTC for s in shifts)
    for earlier, later in pairwise(shifts):
        assert earlier.end_at <= later.start_at
        assert not (earlier.end_at == later.start_at and earlier.user == later.user)
