"""Restrictions: weekly wall-clock windows in a layer's time zone, outside which it is off."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fireline.domain.errors import FieldError
from fireline.domain.oncall.shift import Shift, wall_to_utc

_ONE_DAY = timedelta(days=1)
# A window lasts at most one local day and gap resolution only ever moves its ends later, so a
# window that covers an instant started on the instant's local day or one of the two before it.
_LOOKBACK_DAYS = 2

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Restriction:
    """A weekly window: on each of `days` (0=Monday..6=Sunday) from local `start` to local `end`.

    `days` are the days a window starts on. `end <= start` runs past midnight into the next day
    (so `start == end` is the full 24 hours from `start`). Windows of a layer are unioned.
    """

    days: frozenset[int]
    start: time
    end: time


def check_restriction(
    errors: list[FieldError], restriction: Restriction, *, field: str
) -> Restriction:
    """Record an error for each malformed part of `restriction`; return it, days as a frozenset."""
    days = frozenset(restriction.days)
    if not days:
        errors.append(FieldError(f"{field}.days", "must name at least one day"))
    elif not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
        errors.append(FieldError(f"{field}.days", "must be weekdays 0 (Monday) to 6 (Sunday)"))
    for name, wall in (("start", restriction.start), ("end", restriction.end)):
        if wall.tzinfo is not None:
            errors.append(FieldError(f"{field}.{name}", "must be a wall time without a time zone"))
    return Restriction(days, restriction.start, restriction.end)


def window_on(restriction: Restriction, day: date, *, zone: ZoneInfo) -> Interval | None:
    """Return the UTC interval of the window starting on local `day`, or None when there is none.

    A window whose ends resolve out of order (it starts inside a spring-forward gap and ends
    before the clocks show its start again) is empty, hence None.
    """
    if day.weekday() not in restriction.days:
        return None
    end_day = day + _ONE_DAY if restriction.end <= restriction.start else day
    start_at = wall_to_utc(day, restriction.start, zone=zone)
    end_at = wall_to_utc(end_day, restriction.end, zone=zone)
    return (start_at, end_at) if start_at < end_at else None


def is_within(restrictions: Sequence[Restriction], *, zone: ZoneInfo, at: datetime) -> bool:
    """Return whether the UTC instant `at` lies inside any window of `restrictions`."""
    if not restrictions:
        return True
    today = at.astimezone(zone).date()
    for back in range(_LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        for restriction in restrictions:
            span = window_on(restriction, day, zone=zone)
            if span is not None and span[0] <= at < span[1]:
                return True
    return False


def windows(
    restrictions: Sequence[Restriction], *, zone: ZoneInfo, start_at: datetime, end_at: datetime
) -> list[Interval]:
    """Return the union of the windows overlapping [start_at, end_at), clipped, sorted, disjoint."""
    day = start_at.astimezone(zone).date() - timedelta(days=_LOOKBACK_DAYS)
    last = end_at.astimezone(zone).date()
    spans: list[Interval] = []
    while day <= last:
        for restriction in restrictions:
            span = window_on(restriction, day, zone=zone)
            if span is not None and span[0] < end_at and span[1] > start_at:
                spans.append((max(span[0], start_at), min(span[1], end_at)))
        day += _ONE_DAY
    return _union(spans)


def _union(spans: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start_at, end_at in sorted(spans):
        if merged and start_at <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_at))
        else:
            merged.append((start_at, end_at))
    return merged


def restrict(shifts: Sequence[Shift], spans: Sequence[Interval]) -> list[Shift]:
    """Return the parts of sorted, disjoint `shifts` inside sorted, disjoint `spans`."""
    pieces: list[Shift] = []
    first = 0
    for shift in shifts:
        while first < len(spans) and spans[first][1] <= shift.start_at:
            first += 1
        index = first
        while index < len(spans) and spans[index][0] < shift.end_at:
            start_at = max(shift.start_at, spans[index][0])
            end_at = min(shift.end_at, spans[index][1])
            pieces.append(Shift(shift.user, start_at, end_at, shift.layer))
            index += 1
    return pieces
