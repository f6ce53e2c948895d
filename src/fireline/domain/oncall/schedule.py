"""Schedules: layers stacked lowest first, overrides on top; who is on call, and the final shifts.

A higher layer with someone on call hides the layers below it; a restricted layer that is off,
or one that has not started, lets the layers below show through. An override beats every layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.oncall.override import Override, override_at, override_shifts
from fireline.domain.oncall.rotation import Layer, layer_shifts, user_at
from fireline.domain.oncall.shift import Shift, as_utc, find_zone, merge_adjacent, overlay, window
from fireline.domain.validation import check_text

MAX_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Schedule:
    """Named `layers`, lowest first, displayed in `time_zone` (IANA). Build with `make_schedule`."""

    name: str
    time_zone: str
    layers: tuple[Layer, ...]


def make_schedule(name: str, *, time_zone: str, layers: Iterable[Layer]) -> Schedule:
    """Return a validated `Schedule`, or raise `Invalid` listing every bad field.

    Layers are expected to come from `make_layer`; here their names must be distinct.
    """
    errors: list[FieldError] = []
    clean_name = check_text(errors, field="name", value=name, max_length=MAX_NAME_LENGTH)
    if find_zone(time_zone) is None:
        errors.append(FieldError("time_zone", f"{time_zone!r} is not a known IANA time zone"))
    stack = tuple(layers)
    seen: set[str] = set()
    for index, layer in enumerate(stack):
        if layer.name in seen:
            errors.append(FieldError(f"layers[{index}].name", f"{layer.name!r} is used twice"))
        seen.add(layer.name)
    if errors:
        raise Invalid(errors)
    return Schedule(clean_name, time_zone, stack)


def on_call(schedule: Schedule, overrides: Sequence[Override], *, at: datetime) -> str | None:
    """Return who is on call at instant `at`: the override's user, else the highest layer's."""
    moment = as_utc(at, field="at")
    user = override_at(overrides, at=moment)
    if user is not None:
        return user
    for layer in reversed(schedule.layers):
        user = user_at(layer, at=moment)
        if user is not None:
            return user
    return None


def final_shifts(
    schedule: Schedule, overrides: Sequence[Override], *, start_at: datetime, end_at: datetime
) -> list[Shift]:
    """Return the final schedule over [start_at, end_at): who is on call, piece by piece.

    The shifts are sorted and disjoint, leave gaps where nobody is on call, and touching shifts
    of the same user are merged (keeping the layer of the first piece).
    """
    start, end = window(start_at, end_at)
    pieces: list[Shift] = []
    for layer in schedule.layers:
        pieces = overlay(pieces, layer_shifts(layer, start_at=start, end_at=end))
    pieces = overlay(pieces, override_shifts(overrides, start_at=start, end_at=end))
    return merge_adjacent(pieces)
