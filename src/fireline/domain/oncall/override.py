"""Overrides: a user put on call for a span, above every layer of a schedule.

Where overrides overlap, the later-starting one wins; on equal starts, the later in the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.oncall.shift import OVERRIDE_LAYER, Shift, as_utc, clip, overlay, window
from fireline.domain.validation import check_text

MAX_USER_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Override:
    """`user` is on call from `start_at` (inclusive) to `end_at` (exclusive), above all layers.

    `id` is the stored override's identifier, when it has one.
    """

    user: str
    start_at: datetime
    end_at: datetime
    id: str = ""


def make_override(user: str, *, start_at: datetime, end_at: datetime, id: str = "") -> Override:
    """Return a validated `Override`, or raise `Invalid` listing every bad field."""
    errors: list[FieldError] = []
    clean_user = check_text(errors, field="user", value=user, max_length=MAX_USER_LENGTH)
    aware = []
    for field, at in (("start_at", start_at), ("end_at", end_at)):
        if at.tzinfo is None or at.utcoffset() is None:
            errors.append(FieldError(field, "must be timezone-aware"))
        else:
            aware.append(at)
    if len(aware) == 2 and end_at <= start_at:
        errors.append(FieldError("end_at", "must be after start_at"))
    if errors:
        raise Invalid(errors)
    return Override(clean_user, start_at, end_at, id)


def _by_precedence(overrides: Sequence[Override]) -> list[Shift]:
    """Return `overrides` as UTC shifts, lowest precedence first: earlier start, then list order."""
    ranked = sorted(
        (as_utc(o.start_at, field="overrides.start_at"), index, o)
        for index, o in enumerate(overrides)
    )
    return [
        Shift(o.user, start_at, as_utc(o.end_at, field="overrides.end_at"), OVERRIDE_LAYER)
        for start_at, _, o in ranked
    ]


def override_at(overrides: Sequence[Override], *, at: datetime) -> str | None:
    """Return the user of the override in force at instant `at`, or None when none covers it."""
    moment = as_utc(at, field="at")
    winner = None
    for shift in _by_precedence(overrides):
        if shift.contains(moment):
            winner = shift.user
    return winner


def override_shifts(
    overrides: Sequence[Override], *, start_at: datetime, end_at: datetime
) -> list[Shift]:
    """Return the overrides in force over [start_at, end_at) as sorted, disjoint shifts."""
    start, end = window(start_at, end_at)
    shifts: list[Shift] = []
    for piece in clip(_by_precedence(overrides), start_at=start, end_at=end):
        shifts = overlay(shifts, [piece])
    return shifts
