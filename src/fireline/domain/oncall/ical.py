"""iCalendar rendering: a list of shifts as an RFC 5545 feed calendar apps can subscribe to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType

from icalendar import Calendar, Event, vCalAddress, vText

from fireline.domain.oncall.shift import Shift, as_utc

DEFAULT_PRODUCT = "-//Fireline//On-call//EN"
REFRESH_INTERVAL = timedelta(hours=1)
TRUNCATED = "The end time of this shift is unknown and will continue beyond what is displayed."
_NO_EMAILS: Mapping[str, str] = MappingProxyType({})


def shift_uid(*, name: str, shift: Shift) -> str:
    """Return the event UID of `shift` in calendar `name`: stable while the shift's start is."""
    key = "\x1f".join((name, shift.user, as_utc(shift.start_at, field="start_at").isoformat()))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def render_calendar(
    *,
    name: str,
    shifts: Sequence[Shift],
    generated_at: datetime,
    horizon_end: datetime,
    emails: Mapping[str, str] = _NO_EMAILS,
    url: str | None = None,
    product: str = DEFAULT_PRODUCT,
) -> bytes:
    """Return the iCalendar (.ics) bytes of `shifts` in calendar `name`, CRLF-ended and folded.

    Shifts starting at or after `horizon_end` are left out; shifts ending after it are cut at it
    and marked as continuing (GoAlert's marker), so compute them a little past the horizon.
    `emails` maps users to addresses for ATTENDEE; `url` links the schedule page.
    """
    stamp = as_utc(generated_at, field="generated_at")
    horizon = as_utc(horizon_end, field="horizon_end")
    calendar = Calendar()
    calendar.add("prodid", product)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # NAME and X-WR-CALNAME are not TEXT to icalendar, so escape them explicitly via vText.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    if url is not None:
        calendar.add("url", url)
    for shift in shifts:
        if as_utc(shift.start_at, field="shifts.start_at") < horizon:
            calendar.add_component(
                _event(shift, name=name, stamp=stamp, horizon=horizon, emails=emails, url=url)
            )
    rendered: bytes = calendar.to_ical()
    return rendered


def _event(
    shift: Shift,
    *,
    name: str,
    stamp: datetime,
    horizon: datetime,
    emails: Mapping[str, str],
    url: str | None,
) -> Event:
    start_at = as_utc(shift.start_at, field="shifts.start_at")
    end_at = as_utc(shift.end_at, field="shifts.end_at")
    event = Event()
    event.add("uid", shift_uid(name=name, shift=shift))
    event.add("dtstamp", stamp)
    event.add("dtstart", start_at)
    event.add("dtend", min(end_at, horizon))
    event.add("summary", f"On call: {shift.user} ({name})")
    if end_at > horizon:
        event.add("description", TRUNCATED)
    email = emails.get(shift.user)
    if email:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["CN"] = shift.user
        event.add("attendee", attendee)
    if url is not None:
        event.add("url", url)
    return event
