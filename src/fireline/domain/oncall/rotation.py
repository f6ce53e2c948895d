"""Rotation layers: an ordered list of users taking turns, and the shifts that produces.

Hours rotate in elapsed time: turn k starts `k * rotation_length` hours after `start_at`, and the
handoff time is not used. Days and weeks rotate on the layer's local calendar: the first handoff
is the first local `handoff` wall time at or after `start_at`, and each later one falls
`rotation_length` calendar days (or weeks) after the previous, at the same wall time, so a turn
that spans a DST change is an hour shorter or longer. The turn holding `start_at` is `users[0]`'s
(a layer starting between handoffs gives `users[0]` a short first turn) and each handoff passes
the pager to the next user, cyclically. Nobody is on call before `start_at`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.oncall.restriction import (
    Restriction,
    check_restriction,
    is_within,
    restrict,
    windows,
)
from fireline.domain.oncall.shift import (
    OVERRIDE_LAYER,
    Shift,
    as_utc,
    find_zone,
    wall_to_utc,
    window,
)
from fireline.domain.validation import check_text

MAX_NAME_LENGTH = 100


class RotationUnit(StrEnum):
    """The unit `Layer.rotation_length` counts in."""

    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


@dataclass(frozen=True, slots=True)
class Layer:
    """A rotation: `users` take turns of `rotation_length` units from `start_at` on.

    `handoff` is a wall time in `time_zone` (IANA) and `restrictions`, when present, limit the
    layer to the union of their weekly windows. Build validated layers with `make_layer`.
    """

    name: str
    users: tuple[str, ...]
    rotation_length: int
    rotation_unit: RotationUnit
    handoff: time
    time_zone: str
    start_at: datetime
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True, slots=True)
class _Turns:
    """A layer's rotation reduced to the numbers its arithmetic needs."""

    start_at: datetime  # UTC
    zone: ZoneInfo
    hours: timedelta | None  # the turn length, for hourly rotations only
    step_days: int
    handoff: time
    first_day: date  # local day of the first handoff
    skipped: int  # 1 when start_at precedes the first handoff (users[0] gets a short turn)


def _turns(layer: Layer) -> _Turns:
    start_at = as_utc(layer.start_at, field="start_at")
    zone = ZoneInfo(layer.time_zone)
    unit = RotationUnit(layer.rotation_unit)
    hours = timedelta(hours=layer.rotation_length) if unit is RotationUnit.HOURS else None
    step_days = layer.rotation_length * (7 if unit is RotationUnit.WEEKS else 1)
    first_day = start_at.astimezone(zone).date()
    first_handoff = wall_to_utc(first_day, layer.handoff, zone=zone)
    if first_handoff < start_at:
        first_day += timedelta(days=1)
        first_handoff = wall_to_utc(first_day, layer.handoff, zone=zone)
    skipped = 1 if first_handoff > start_at else 0
    return _Turns(start_at, zone, hours, step_days, layer.handoff, first_day, skipped)


def _turn_start(turns: _Turns, index: int) -> datetime:
    """Return the instant turn `index` (0 = the one holding `start_at`) begins."""
    if index == 0:
        return turns.start_at
    if turns.hours is not None:
        return turns.start_at + index * turns.hours
    day = turns.first_day + timedelta(days=(index - turns.skipped) * turns.step_days)
    return wall_to_utc(day, turns.handoff, zone=turns.zone)


def _turn_at(turns: _Turns, at: datetime) -> int:
    """Return the index of the turn holding the UTC instant `at` (>= start_at), in O(1)."""
    if turns.hours is not None:
        return (at - turns.start_at) // turns.hours
    elapsed_days = (at.astimezone(turns.zone).date() - turns.first_day).days
    index = max(0, turns.skipped + elapsed_days // turns.step_days)
    # The local day of `at` pins the turn down to a neighbour or two; settle it exactly.
    while index > 0 and _turn_start(turns, index) > at:
        index -= 1
    while _turn_start(turns, index + 1) <= at:
        index += 1
    return index


def user_at(layer: Layer, *, at: datetime) -> str | None:
    """Return the user `layer` puts on call at `at`, or None (not yet started, or restricted)."""
    moment = as_utc(at, field="at")
    turns = _turns(layer)
    if moment < turns.start_at or not is_within(layer.restrictions, zone=turns.zone, at=moment):
        return None
    return layer.users[_turn_at(turns, moment) % len(layer.users)]


def layer_shifts(layer: Layer, *, start_at: datetime, end_at: datetime) -> list[Shift]:
    """Return the shifts overlapping [start_at, end_at), clipped to it, restrictions applied.

    One shift per turn (a user's consecutive turns are not merged), sorted and non-overlapping.
    """
    start, end = window(start_at, end_at)
    turns = _turns(layer)
    start = max(start, turns.start_at)
    if start >= end:
        return []
    shifts = []
    index = _turn_at(turns, start)
    begin = _turn_start(turns, index)
    while begin < end:
        finish = _turn_start(turns, index + 1)
        piece_start, piece_end = max(begin, start), min(finish, end)
        if piece_start < piece_end:
            user = layer.users[index % len(layer.users)]
            shifts.append(Shift(user, piece_start, piece_end, layer.name))
        index += 1
        begin = finish
    if not layer.restrictions:
        return shifts
    spans = windows(layer.restrictions, zone=turns.zone, start_at=start, end_at=end)
    return restrict(shifts, spans)


def make_layer(
    name: str,
    *,
    users: Iterable[str],
    rotation_length: int,
    rotation_unit: RotationUnit | str,
    handoff: time,
    time_zone: str,
    start_at: datetime,
    restrictions: Iterable[Restriction] = (),
) -> Layer:
    """Return a validated `Layer`, or raise `Invalid` listing every bad field."""
    errors: list[FieldError] = []
    clean_name = check_text(errors, field="name", value=name, max_length=MAX_NAME_LENGTH)
    if clean_name == OVERRIDE_LAYER:
        errors.append(FieldError("name", f"{OVERRIDE_LAYER!r} is reserved for overrides"))
    clean_users = _check_users(errors, users)
    if isinstance(rotation_length, bool) or not isinstance(rotation_length, int):
        errors.append(FieldError("rotation_length", "must be a whole number"))
    elif rotation_length < 1:
        errors.append(FieldError("rotation_length", "must be at least 1"))
    unit = _check_unit(errors, rotation_unit)
    if handoff.tzinfo is not None:
        errors.append(FieldError("handoff", "must be a wall time without a time zone"))
    if find_zone(time_zone) is None:
        errors.append(FieldError("time_zone", f"{time_zone!r} is not a known IANA time zone"))
    if start_at.tzinfo is None or start_at.utcoffset() is None:
        errors.append(FieldError("start_at", "must be timezone-aware"))
    checked = tuple(
        check_restriction(errors, restriction, field=f"restrictions[{index}]")
        for index, restriction in enumerate(restrictions)
    )
    if errors:
        raise Invalid(errors)
    return Layer(
        clean_name, clean_users, rotation_length, unit, handoff, time_zone, start_at, checked
    )


def _check_users(errors: list[FieldError], users: Iterable[str]) -> tuple[str, ...]:
    cleaned = tuple(
        check_text(errors, field=f"users[{index}]", value=user, max_length=MAX_NAME_LENGTH)
        for index, user in enumerate(users)
    )
    if not cleaned:
        errors.append(FieldError("users", "must name at least one user"))
    return cleaned


def _check_unit(errors: list[FieldError], unit: RotationUnit | str) -> RotationUnit:
    try:
        return RotationUnit(unit)
    except ValueError:
        choices = ", ".join(RotationUnit)
        errors.append(FieldError("rotation_unit", f"{unit!r} is not one of {choices}"))
        return RotationUnit.HOURS
