"""RFC 3339 / ISO 8601 instants as senders write them, read into aware UTC datetimes.

Go prints `RFC3339Nano` with 0-9 fraction digits and `Z`; PagerDuty's examples use `+0000`.
Python 3.11's `datetime.fromisoformat` refuses 7-9 fraction digits, so this parser is our own:
nanoseconds are truncated to microseconds, and a zone is always required (a naive time is
ambiguous at an intake edge).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from fireline.domain.alerts.alert import AlertAction

_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
    r"(?:[.,](\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))",
    re.ASCII,
)
# Go's zero `time.Time`; Alertmanager sends it for "no end yet".
ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


# Senders repeat instants: Go's zero time for "no end", a group's alerts evaluated together, the
# same alert notified again. Remembering the last few thousand makes most of them a lookup.
@lru_cache(maxsize=4096)
def parse_timestamp(text: str) -> datetime:
    """Parse `2026-12-04T20:18:51.494123456Z`, `…+0000` or `…+01:00` to aware UTC, or ValueError."""
    found = _INSTANT.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a date-time with a time zone")
    year, month, day, hour, minute, second = (int(part) for part in found.group(1, 2, 3, 4, 5, 6))
    micros = int((found.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if found.group(9):
        offset = timedelta(hours=int(found.group(10)), minutes=int(found.group(11)))
        if found.group(9) == "-":
            offset = -offset
    try:
        zone = timezone(offset)
        local = datetime(year, month, day, hour, minute, second, micros, tzinfo=zone)
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"{text!r} is not a valid date-time: {error}") from error


def fill_times(
    action: AlertAction,
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    received_at: datetime,
) -> tuple[datetime | None, datetime | None]:
    """Default what the sender left out: a firing alert started, a resolution ended, by receipt."""
    if action is AlertAction.FIRE and starts_at is None:
        starts_at = received_at
    if action is AlertAction.RESOLVE and ends_at is None:
        ends_at = received_at
    return starts_at, ends_at
