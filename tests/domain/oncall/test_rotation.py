"""Rotation layers: turns, handoffs across DST, restrictions, validation and their properties."""

from __future__ import annotations

import time as clock
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.domain.errors import Invalid
from fireline.domain.oncall.restriction import Restriction
from fireline.domain.oncall.rotation import Layer, RotationUnit, layer_shifts, make_layer, user_at
from fireline.domain.oncall.shift import Shift
from tests.domain.oncall.strategies import PROPERTY, layers_and_windows

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)


def _layer(**changes: object) -> Layer:
    fields: dict[str, object] = {
        "users": ("ann", "bob", "cat"),
        "rotation_length": 1,
        "rotation_unit": RotationUnit.DAYS,
        "handoff": time(9),
        "time_zone": "Europe/Berlin",
        "start_at": datetime(2024, 6, 3, 9, tzinfo=BERLIN),
    }
    fields.update(changes)
    return make_layer("primary", **fields)  # type: ignore[arg-type]


def _local(shift: Shift, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return shift.start_at.astimezone(zone), shift.end_at.astimezone(zone)


def test_daily_rotation_hands_off_at_the_local_handoff_time() -> None:
    layer = _layer()
    shifts = layer_shifts(
        layer,
        start_at=datetime(2024, 6, 3, tzinfo=BERLIN),
        end_at=datetime(2024, 6, 7, 9, tzinfo=BERLIN),
    )
    assert [s.user for s in shifts] == ["ann", "bob", "cat", "ann"]
    assert [s.start_at for s in shifts] == [
        datetime(2024, 6, day, 7, tzinfo=UTC) for day in (3, 4, 5, 6)
    ]
    assert all(s.end_at - s.start_at == 24 * HOUR for s in shifts)
    assert all(s.layer == "primary" and s.start_at.tzinfo is UTC for s in shifts)


def test_weekly_rotation_lasts_seven_local_days() -> None:
    layer = _layer(rotation_unit=RotationUnit.WEEKS, users=("ann", "bob"))
    shifts = layer_shifts(
        layer,
        start_at=datetime(2024, 6, 3, 9, tzinfo=BERLIN),
        end_at=datetime(2024, 7, 1, 9, tzinfo=BERLIN),
    )
    assert [s.user for s in shifts] == ["ann", "bob", "ann", "bob"]
    assert all(s.end_at - s.start_at == timedelta(days=7) for s in shifts)
    assert user_at(layer, at=datetime(2024, 6, 10, 8, 59, tzinfo=BERLIN)) == "ann"
    assert user_at(layer, at=datetime(2024, 6, 10, 9, tzinfo=BERLIN)) == "bob"


def test_multi_day_rotation_counts_rotation_length_days() -> None:
    layer = _layer(rotation_length=3, users=("ann", "bob"))
    assert user_at(layer, at=datetime(2024, 6, 6, 8, 59, tzinfo=BERLIN)) == "ann"
    assert user_at(layer, at=datetime(2024, 6, 6, 9, tzinfo=BERLIN)) == "bob"
    assert user_at(layer, at=datetime(2024, 6, 9, 9, tzinfo=BERLIN)) == "ann"


def test_hourly_rotation_counts_elapsed_hours_across_dst() -> None:
    start_at = datetime(2024, 3, 30, 20, tzinfo=BERLIN).astimezone(UTC)
    layer = _layer(rotation_unit=RotationUnit.HOURS, rotation_length=8, start_at=start_at)
    shifts = layer_shifts(layer, start_at=start_at, end_at=start_at + 24 * HOUR)
    assert [s.user for s in shifts] == ["ann", "bob", "cat"]
    assert all(s.end_at - s.start_at == 8 * HOUR for s in shifts)
    # Eight elapsed hours from 20:00 CET across the spring-forward night end at 05:00 CEST.
    assert shifts[0].end_at.astimezone(BERLIN).hour == 5


@pytest.mark.parametrize(
    ("zone", "day_before", "hours"),
    [
        (BERLIN, (2024, 3, 30), 23),
        (BERLIN, (2024, 10, 26), 25),
        (NEW_YORK, (2024, 3, 9), 23),
        (NEW_YORK, (2024, 11, 2), 25),
    ],
)
def test_daily_handoff_keeps_its_wall_time_across_dst(
    zone: ZoneInfo, day_before: tuple[int, int, int], hours: int
) -> None:
    # Wall-clock arithmetic on purpose: two local days before, at 09:00 local.
    start_at = datetime(*day_before, 9, tzinfo=zone) - timedelta(days=2)
    layer = _layer(time_zone=zone.key, start_at=start_at)
    shifts = layer_shifts(layer, start_at=start_at, end_at=start_at + timedelta(days=5))
    assert [s.end_at - s.start_at for s in shifts] == [
        24 * HOUR,
        24 * HOUR,
        hours * HOUR,
        24 * HOUR,
        24 * HOUR,
    ][: len(shifts)]
    for shift in shifts:
        local_start, local_end = _local(shift, zone)
        assert local_start.time() == time(9) == local_end.time()


def test_weekly_handoff_across_spring_forward_is_167_hours() -> None:
    start_at = datetime(2024, 3, 4, 9, tzinfo=NEW_YORK)  # a Monday
    layer = _layer(
        rotation_unit=RotationUnit.WEEKS, time_zone="America/New_York", start_at=start_at
    )
    shifts = layer_shifts(layer, start_at=start_at, end_at=start_at + timedelta(days=21))
    assert [s.end_at - s.start_at for s in shifts] == [167 * HOUR, 168 * HOUR, 168 * HOUR]


def test_handoff_inside_the_spring_forward_gap_happens_when_clocks_reach_it() -> None:
    start_at = datetime(2024, 3, 29, 2, 30, tzinfo=BERLIN)
    layer = _layer(handoff=time(2, 30), start_at=start_at)
    shifts = layer_shifts(layer, start_at=start_at, end_at=start_at + timedelta(days=4))
    assert [s.start_at for s in shifts] == [
        datetime(2024, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2024, 3, 30, 1, 30, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),  # 03:30 CEST: 02:30 does not exist
        datetime(2024, 4, 1, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]


def test_handoff_at_an_ambiguous_time_takes_the_first_occurrence() -> None:
    start_at = datetime(2024, 10, 26, 2, 30, tzinfo=BERLIN)
    layer = _layer(handoff=time(2, 30), start_at=start_at)
    shifts = layer_shifts(layer, start_at=start_at, end_at=start_at + timedelta(days=2))
    assert shifts[1].start_at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # CEST, not CET
    assert shifts[0].end_at - shifts[0].start_at == 24 * HOUR
    assert shifts[1].end_at - shifts[1].start_at == 25 * HOUR


def test_layer_starting_between_handoffs_gives_the_first_user_a_short_turn() -> None:
    layer = _layer(start_at=datetime(2024, 6, 3, 14, tzinfo=BERLIN))
    shifts = layer_shifts(
        layer,
        start_at=datetime(2024, 6, 1, tzinfo=UTC),
        end_at=datetime(2024, 6, 5, 10, tzinfo=BERLIN),
    )
    assert [(s.user, s.start_at.astimezone(BERLIN).hour) for s in shifts] == [
        ("ann", 14),
        ("bob", 9),
        ("cat", 9),
    ]
    assert shifts[0].end_at == datetime(2024, 6, 4, 9, tzinfo=BERLIN)


def test_layer_starting_just_after_the_handoff_waits_for_tomorrows() -> None:
    layer = _layer(start_at=datetime(2024, 6, 3, 9, 0, 1, tzinfo=BERLIN))
    assert user_at(layer, at=datetime(2024, 6, 4, 8, 59, tzinfo=BERLIN)) == "ann"
    assert user_at(layer, at=datetime(2024, 6, 4, 9, tzinfo=BERLIN)) == "bob"


def test_nobody_is_on_call_before_the_layer_starts() -> None:
    layer = _layer()
    assert user_at(layer, at=datetime(2024, 6, 3, 8, 59, tzinfo=BERLIN)) is None
    assert user_at(layer, at=datetime(2024, 6, 3, 9, tzinfo=BERLIN)) == "ann"
    before = layer_shifts(
        layer,
        start_at=datetime(2024, 5, 1, tzinfo=UTC),
        end_at=datetime(2024, 6, 3, 9, tzinfo=BERLIN),
    )
    assert before == []


def test_a_user_may_appear_twice_in_the_rotation() -> None:
    layer = _layer(users=("ann", "ann", "bob"))
    at = datetime(2024, 6, 3, 12, tzinfo=BERLIN)
    assert [user_at(layer, at=at + timedelta(days=d)) for d in range(4)] == [
        "ann",
        "ann",
        "bob",
        "ann",
    ]


def test_restricted_layer_is_on_only_inside_its_windows() -> None:
    office = Restriction(frozenset(range(5)), time(9), time(17))
    layer = _layer(rotation_unit=RotationUnit.WEEKS, restrictions=(office,))
    assert user_at(layer, at=datetime(2024, 6, 4, 12, tzinfo=BERLIN)) == "ann"
    assert user_at(layer, at=datetime(2024, 6, 4, 18, tzinfo=BERLIN)) is None
    assert user_at(layer, at=datetime(2024, 6, 8, 12, tzinfo=BERLIN)) is None  # Saturday
    shifts = layer_shifts(
        layer,
        start_at=datetime(2024, 6, 3, tzinfo=BERLIN),
        end_at=datetime(2024, 6, 10, tzinfo=BERLIN),
    )
    assert [(s.start_at.astimezone(BERLIN).day, s.end_at - s.start_at) for s in shifts] == [
        (day, 8 * HOUR) for day in (3, 4, 5, 6, 7)
    ]


def test_user_at_takes_constant_time_however_old_the_layer() -> None:
    office = Restriction(frozenset(range(5)), time(9), time(17))
    layer = _layer(
        rotation_unit=RotationUnit.HOURS,
        start_at=datetime(1900, 1, 1, tzinfo=UTC),
        restrictions=(office,),
    )
    at = datetime(2099, 6, 2, 10, tzinfo=BERLIN)
    started = clock.perf_counter()
    for _ in range(200):
        user_at(layer, at=at)
    assert (clock.perf_counter() - started) / 200 < 0.001
    hours = int((at - datetime(1900, 1, 1, tzinfo=UTC)) / HOUR)
    assert user_at(layer, at=at) == ("ann", "bob", "cat")[hours % 3]


def test_naive_instants_are_rejected() -> None:
    layer = _layer()
    with pytest.raises(Invalid) as caught:
        user_at(layer, at=datetime(2024, 6, 3, 12))  # noqa: DTZ001 - naive on purpose
    assert [e.field for e in caught.value.errors] == ["at"]
    with pytest.raises(Invalid):
        layer_shifts(
            layer,
            start_at=datetime(2024, 6, 3),  # noqa: DTZ001 - naive on purpose
            end_at=datetime(2024, 6, 4, tzinfo=UTC),
        )


def test_make_layer_lists_every_bad_field() -> None:
    with pytest.raises(Invalid) as caught:
        make_layer(
            " ",
            users=[],
            rotation_length=0,
            rotation_unit="fortnights",
            handoff=time(9, tzinfo=UTC),
            time_zone="Mars/Olympus_Mons",
            start_at=datetime(2024, 6, 3),  # noqa: DTZ001 - naive on purpose
            restrictions=[Restriction(frozenset(), time(9), time(17))],
        )
    assert [e.field for e in caught.value.errors] == [
        "name",
        "users",
        "rotation_length",
        "rotation_unit",
        "handoff",
        "time_zone",
        "start_at",
        "restrictions[0].days",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"users": ("ann", "")}, "users[1]"),
        ({"rotation_length": -3}, "rotation_length"),
        ({"rotation_length": True}, "rotation_length"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": "europe/berlin"}, "time_zone"),
    ],
)
def test_make_layer_names_the_bad_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        _layer(**changes)
    assert [e.field for e in caught.value.errors] == [field]


def test_make_layer_reserves_the_override_name_and_accepts_unit_strings() -> None:
    with pytest.raises(Invalid) as caught:
        make_layer(
            "override",
            users=["ann"],
            rotation_length=1,
            rotation_unit="days",
            handoff=time(9),
            time_zone="UTC",
            start_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
    assert [e.field for e in caught.value.errors] == ["name"]
    assert _layer(rotation_unit="weeks").rotation_unit is RotationUnit.WEEKS


# Properties ------------------------------------------------------------------------------------


def _turn_order_matches(layer: Layer, shifts: list[Shift]) -> bool:
    count = len(layer.users)
    return any(
        all(shift.user == layer.users[(first + i) % count] for i, shift in enumerate(shifts))
        for first in range(count)
    )


@PROPERTY
@given(case=layers_and_windows(restricted=False))
def test_unrestricted_shifts_tile_the_window_in_turn_order(
    case: tuple[Layer, tuple[datetime, datetime]],
) -> None:
    layer, (start_at, end_at) = case
    shifts = layer_shifts(layer, start_at=start_at, end_at=end_at)
    begin = max(start_at, layer.start_at)
    if begin >= end_at:
        assert shifts == []
        return
    assert shifts[0].start_at == begin.astimezone(UTC)
    assert shifts[-1].end_at == end_at
    assert all(s.start_at < s.end_at and s.start_at.tzinfo is UTC for s in shifts)
    assert all(a.end_at == b.start_at for a, b in pairwise(shifts))
    assert _turn_order_matches(layer, shifts)
    if start_at <= layer.start_at:
        assert shifts[0].user == layer.users[0]
        assert shifts[0].end_at == min(_first_turn_end(layer), end_at)


def _first_turn_end(layer: Layer) -> datetime:
    """When users[0]'s first turn ends, from the definition: the first handoff after start_at."""
    start_at = layer.start_at.astimezone(UTC)
    if layer.rotation_unit is RotationUnit.HOURS:
        return start_at + timedelta(hours=layer.rotation_length)
    zone = ZoneInfo(layer.time_zone)
    step = layer.rotation_length * (7 if layer.rotation_unit is RotationUnit.WEEKS else 1)
    day = start_at.astimezone(zone).date()
    handoff = datetime.combine(day, layer.handoff, tzinfo=zone).astimezone(UTC)
    if handoff < start_at:  # the first handoff is tomorrow's
        day += timedelta(days=1)
        handoff = datetime.combine(day, layer.handoff, tzinfo=zone).astimezone(UTC)
    if handoff > start_at:  # users[0] holds the pager until then
        return handoff
    next_day = day + timedelta(days=step)  # the layer starts at a handoff: a full turn
    return datetime.combine(next_day, layer.handoff, tzinfo=zone).astimezone(UTC)


@PROPERTY
@given(case=layers_and_windows(restricted=False))
def test_handoffs_fall_on_the_rotation_grid(case: tuple[Layer, tuple[datetime, datetime]]) -> None:
    layer, span = case
    shifts = layer_shifts(layer, start_at=span[0], end_at=span[1])
    handoffs = [shift.end_at for shift in shifts[:-1]]
    zone = ZoneInfo(layer.time_zone)
    for at in handoffs:
        if layer.rotation_unit is RotationUnit.HOURS:
            assert (at - layer.start_at) % timedelta(hours=layer.rotation_length) == timedelta(0)
        else:
            expected = datetime.combine(at.astimezone(zone).date(), layer.handoff, tzinfo=zone)
            # Compare in UTC: `==` across zones is False for local times in a gap or fold.
            assert at == expected.astimezone(UTC)
    if layer.rotation_unit is not RotationUnit.HOURS:
        step = layer.rotation_length * (7 if layer.rotation_unit is RotationUnit.WEEKS else 1)
        for earlier, later in pairwise(handoffs):
            assert (later.astimezone(zone).date() - earlier.astimezone(zone).date()).days == step


def _in_windows_brute_force(layer: Layer, at: datetime) -> bool:
    """Whether `at` is inside a restriction window, by converting every nearby window afresh."""
    zone = ZoneInfo(layer.time_zone)
    today = at.astimezone(zone).date()
    for back in range(4):
        day = today - timedelta(days=back)
        for restriction in layer.restrictions:
            if day.weekday() not in restriction.days:
                continue
            end_day = day + timedelta(days=1) if restriction.end <= restriction.start else day
            start = datetime.combine(day, restriction.start, tzinfo=zone)
            end = datetime.combine(end_day, restriction.end, tzinfo=zone)
            if start <= at < end:
                return True
    return False


@PROPERTY
@given(
    case=layers_and_windows(restricted=True),
    offsets=st.lists(st.integers(0, 2**40), max_size=6),
)
def test_restricted_shifts_are_the_turns_inside_the_windows(
    case: tuple[Layer, tuple[datetime, datetime]], offsets: list[int]
) -> None:
    layer, (start_at, end_at) = case
    turns = layer_shifts(replace(layer, restrictions=()), start_at=start_at, end_at=end_at)
    shifts = layer_shifts(layer, start_at=start_at, end_at=end_at)
    assert all(a.end_at <= b.start_at for a, b in pairwise(shifts))
    tick = timedelta(microseconds=1)
    for shift in shifts:
        assert shift.start_at < shift.end_at
        assert any(
            t.user == shift.user and t.start_at <= shift.start_at and shift.end_at <= t.end_at
            for t in turns
        )
        middle = shift.start_at + (shift.end_at - shift.start_at) / 2
        for at in (shift.start_at, middle, shift.end_at - tick):
            assert _in_windows_brute_force(layer, at)
    # Nothing inside a window and a turn is left out.
    micros = (end_at - start_at) // tick
    probes = [start_at + timedelta(microseconds=o % micros) for o in offsets if micros]
    probes += [t.start_at for t in turns] + [s.end_at for s in shifts if s.end_at < end_at]
    for at in probes:
        in_turn = any(t.contains(at) for t in turns)
        expected = in_turn and _in_windows_brute_force(layer, at)
        assert any(s.contains(at) for s in shifts) is expected


@PROPERTY
@given(case=layers_and_windows(), offsets=st.lists(st.integers(0, 2**40), max_size=6))
def test_user_at_agrees_with_the_shift_holding_the_instant(
    case: tuple[Layer, tuple[datetime, datetime]], offsets: list[int]
) -> None:
    layer, (start_at, end_at) = case
    shifts = layer_shifts(layer, start_at=start_at, end_at=end_at)
    micros = (end_at - start_at) // timedelta(microseconds=1)
    probes = [start_at + timedelta(microseconds=o % micros) for o in offsets if micros]
    probes += [s.start_at for s in shifts] + [s.end_at for s in shifts if s.end_at < end_at]
    for at in probes:
        holders = [s.user for s in shifts if s.contains(at)]
        assert len(holders) <= 1
        assert user_at(layer, at=at) == (holders[0] if holders else None)
    if layer.restrictions:
        for at in probes:
            if user_at(layer, at=at) is not None:
                assert _in_windows_brute_force(layer, at)
