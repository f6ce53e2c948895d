"""A shift: one user on call over a half-open span of instants, and the instant arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.domain.errors import FieldError, Invalid

OVERRIDE_LAYER = "override"


@dataclass(frozen=True, slots=True)
class Shift:
    """`user` is on call from `start_at` (inclusive) to `end_at` (exclusive), both aware UTC.

    `layer` names the rotation layer the shift came from, or is "override".
    """

    user: str
    start_at: datetime
    end_at: datetime
    layer: str

    def contains(self, at: datetime) -> bool:
        """Return whether the instant `at` falls inside this shift."""
        return self.start_at <= at < self.end_at


def as_utc(at: datetime, *, field: str) -> datetime:
    """Return the aware instant `at` in UTC; raise `Invalid` naming `field` when it is naive."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise Invalid([FieldError(field, "must be timezone-aware")])
    return at.astimezone(UTC)


def window(start_at: datetime, end_at: datetime) -> tuple[datetime, datetime]:
    """Return the query window [start_at, end_at) in UTC; raise `Invalid` when it is reversed."""
    start = as_utc(start_at, field="start_at")
    end = as_utc(end_at, field="end_at")
    if end < start:
        raise Invalid([FieldError("end_at", "must not be before start_at")])
    return start, end


def find_zone(name: str) -> ZoneInfo | None:
    """Return the IANA time zone called `name`, or None when there is no such zone."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def wall_to_utc(day: date, wall: time, *, zone: ZoneInfo) -> datetime:
    """Return the instant at which clocks in `zone` show `wall` on `day`, in UTC.

    The wall time is read with the offset in force just before any transition (zoneinfo
    `fold=0`): inside a spring-forward gap it moves forward by the gap's length, and an
    ambiguous fall-back time takes its first occurrence.
    """
    local = datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=zone)
    return local.astimezone(UTC)


def clip(shifts: Iterable[Shift], *, start_at: datetime, end_at: datetime) -> list[Shift]:
    """Return the non-empty parts of `shifts` that fall inside [start_at, end_at)."""
    clipped = []
    for shift in shifts:
        start = max(shift.start_at, start_at)
        end = min(shift.end_at, end_at)
        if start < end:
            clipped.append(replace(shift, start_at=start, end_at=end))
    return clipped


def overlay(base: Sequence[Shift], top: Sequence[Shift]) -> list[Shift]:
    """Return `top` laid over `base`: every `top` shift, plus the parts of `base` it leaves bare.

    Both inputs must be sorted and non-overlapping; so is the result.
    """
    result: list[Shift] = list(top)
    first = 0
    for piece in base:
        cursor = piece.start_at
        while first < len(top) and top[first].end_at <= cursor:
            first += 1
        index = first
        while index < len(top) and top[index].start_at < piece.end_at:
            if top[index].start_at > cursor:
                result.append(replace(piece, start_at=cursor, end_at=top[index].start_at))
            cursor = max(cursor, top[index].end_at)
            index += 1
        if cursor < piece.end_at:
            result.append(replace(piece, start_at=cursor))
    result.sort(key=lambda shift: shift.start_at)
    return result


def merge_adjacent(shifts: Iterable[Shift]) -> list[Shift]:
    """Join touching shifts of the same user, keeping the layer of the first piece."""
    merged: list[Shift] = []
    for shift in shifts:
        if merged and merged[-1].user == shift.user and merged[-1].end_at == shift.start_at:
            merged[-1] = replace(merged[-1], end_at=shift.end_at)
        else:
            merged.append(shift)
    return merged
