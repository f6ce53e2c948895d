"""Hypothesis strategies for on-call property tests: layers, schedules, overrides and windows.

Instants cluster around DST changes of the zones under test so that generated rotations and
windows keep crossing spring-forward gaps and fall-back overlaps.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st

from fireline.domain.oncall.override import Override
from fireline.domain.oncall.restriction import Restriction
from fireline.domain.oncall.rotation import Layer, RotationUnit, make_layer
from fireline.domain.oncall.schedule import Schedule, make_schedule

PROPERTY = settings(max_examples=150, deadline=None, database=None)

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
USERS = ("ann", "bob", "cat", "dan")
# The instants each zone changes its clocks (spring forward, fall back), in UTC.
DST_CHANGES: dict[str, tuple[datetime, ...]] = {
    "Europe/Berlin": (datetime(2024, 3, 31, 1, tzinfo=UTC), datetime(2024, 10, 27, 1, tzinfo=UTC)),
    "America/New_York": (
        datetime(2024, 3, 10, 7, tzinfo=UTC),
        datetime(2024, 11, 3, 6, tzinfo=UTC),
    ),
    "Australia/Sydney": (
        datetime(2024, 10, 5, 16, tzinfo=UTC),
        datetime(2024, 4, 6, 16, tzinfo=UTC),
    ),
}
QUIET = datetime(2024, 6, 15, tzinfo=UTC)
ANCHORS = (*(at for changes in DST_CHANGES.values() for at in changes), QUIET)
QUARTER = timedelta(minutes=15)
SPAN_QUARTERS = 6 * 24 * 4  # six days either side of an anchor

zones = st.sampled_from(ZONES)
# Half the wall times sit in or at the edge of the hour the zones above skip or repeat.
wall_times = st.one_of(
    st.builds(time, st.sampled_from((1, 2, 2, 3)), st.sampled_from((0, 30, 45))),
    st.builds(time, st.integers(0, 23), st.sampled_from((0, 15, 30, 45))),
)


@st.composite
def instants(draw: st.DrawFn, *, zone: str | None = None) -> datetime:
    """An aware UTC instant near a DST change (of `zone`, if given), usually on a quarter hour."""
    anchors = ANCHORS if zone is None else (*DST_CHANGES.get(zone, ()), QUIET)
    anchor = draw(st.sampled_from(anchors))
    at = anchor + draw(st.integers(-SPAN_QUARTERS, SPAN_QUARTERS)) * QUARTER
    if draw(st.booleans()):
        at += timedelta(seconds=draw(st.integers(0, 899)))
    return at


@st.composite
def windows(draw: st.DrawFn, *, zone: str | None = None) -> tuple[datetime, datetime]:
    """A query window [start, end) of up to twelve days, usually spanning a DST change."""
    if draw(st.booleans()):
        start = draw(instants(zone=zone))
    else:  # start shortly before a change so that the window very likely spans it
        anchor = draw(st.sampled_from(DST_CHANGES.get(zone or "", ANCHORS) or ANCHORS))
        start = anchor - draw(st.integers(0, 3 * 24 * 4)) * QUARTER
    return start, start + draw(st.integers(0, 12 * 24 * 4)) * QUARTER


restrictions = st.builds(
    Restriction,
    days=st.frozensets(st.integers(0, 6), min_size=1),
    start=wall_times,
    end=wall_times,
)


@st.composite
def layers(
    draw: st.DrawFn, *, name: str = "layer", restricted: bool | None = None, zone: str | None = None
) -> Layer:
    """A valid layer; `restricted` True/False forces restrictions on/off, None draws either."""
    unit = draw(st.sampled_from(RotationUnit))
    longest = {RotationUnit.HOURS: 36, RotationUnit.DAYS: 4, RotationUnit.WEEKS: 2}[unit]
    if restricted is None:
        chosen = draw(st.lists(restrictions, max_size=3))
    else:
        chosen = draw(st.lists(restrictions, min_size=1, max_size=3)) if restricted else []
    old = draw(st.booleans()) and draw(st.booleans())
    zone = zone or draw(zones)
    start_at = datetime(2019, 1, 1, tzinfo=UTC) if old else draw(instants(zone=zone))
    return make_layer(
        name,
        users=draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4)),
        rotation_length=draw(st.integers(1, longest)),
        rotation_unit=unit,
        handoff=draw(wall_times),
        time_zone=zone,
        start_at=start_at.astimezone(ZoneInfo(zone)),
        restrictions=chosen,
    )


@st.composite
def layers_and_windows(
    draw: st.DrawFn, *, restricted: bool | None = None
) -> tuple[Layer, tuple[datetime, datetime]]:
    """A layer and a query window, both near the DST changes of the layer's zone."""
    zone = draw(zones)
    return draw(layers(restricted=restricted, zone=zone)), draw(windows(zone=zone))


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """A valid schedule of one to three layers with distinct names."""
    count = draw(st.integers(1, 3))
    stack = [draw(layers(name=f"layer-{index}")) for index in range(count)]
    return make_schedule("primary", time_zone=draw(zones), layers=stack)


@st.composite
def overrides(draw: st.DrawFn) -> Override:
    """An override of a quarter hour to three days, sometimes for a user outside the layers."""
    start_at = draw(instants())
    length = draw(st.integers(1, 3 * 24 * 4)) * QUARTER
    user = draw(st.sampled_from((*USERS, "oscar")))
    return Override(user, start_at, start_at + length, draw(st.sampled_from(("", "ov-1"))))
