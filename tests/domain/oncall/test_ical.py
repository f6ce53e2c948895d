"""iCalendar feed: required properties, stable UIDs, escaping, folding and the horizon marker."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from fireline.domain.errors import Invalid
from fireline.domain.oncall.ical import TRUNCATED, render_calendar, shift_uid
from fireline.domain.oncall.shift import Shift

T0 = datetime(2024, 6, 3, tzinfo=UTC)
GENERATED = datetime(2024, 6, 3, 8, 15, 30, tzinfo=UTC)
HORIZON = T0 + timedelta(days=7)
SHIFTS = [
    Shift("ann", T0, T0 + timedelta(days=1), "primary"),
    Shift("bob", T0 + timedelta(days=1), T0 + timedelta(days=2), "override"),
]


def _render(**changes: object) -> bytes:
    arguments: dict[str, object] = {
        "name": "Platform",
        "shifts": SHIFTS,
        "generated_at": GENERATED,
        "horizon_end": HORIZON,
    }
    arguments.update(changes)
    return render_calendar(**arguments)  # type: ignore[arg-type]


def _events(feed: bytes) -> list[Component]:
    return list(Calendar.from_ical(feed).walk("VEVENT"))


def _unescaped(value: object) -> str:
    """RFC 5545 TEXT unescaping, for properties icalendar parses as unknown (NAME, X-WR-*)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def _unfolded(feed: bytes) -> str:
    return feed.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


def test_calendar_carries_the_feed_properties() -> None:
    feed = _render(product="-//Example//Pager//EN")
    calendar = Calendar.from_ical(feed)
    assert str(calendar["PRODID"]) == "-//Example//Pager//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert _unescaped(calendar["X-WR-CALNAME"]) == "Platform"
    assert _unescaped(calendar["NAME"]) == "Platform"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in _unfolded(feed)
    assert "PRODID:-//Fireline//On-call//EN" in _unfolded(_render())


def test_one_event_per_shift_with_utc_times_summary_and_stamp() -> None:
    feed = _render()
    events = _events(feed)
    assert [(e["DTSTART"].dt, e["DTEND"].dt) for e in events] == [
        (s.start_at, s.end_at) for s in SHIFTS
    ]
    assert [str(e["SUMMARY"]) for e in events] == [
        "On call: ann (Platform)",
        "On call: bob (Platform)",
    ]
    assert all(e["DTSTAMP"].dt == GENERATED for e in events)
    assert "DTSTART:20240603T000000Z" in _unfolded(feed)
    assert "DTEND:20240604T000000Z" in _unfolded(feed)
    assert "DTSTAMP:20240603T081530Z" in _unfolded(feed)
    assert "TZID" not in _unfolded(feed)
    assert all("DESCRIPTION" not in e and "URL" not in e for e in events)


def test_shift_times_in_other_zones_are_written_in_utc() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    local = Shift(
        "ann", datetime(2024, 6, 3, 9, tzinfo=berlin), datetime(2024, 6, 3, 17, tzinfo=berlin), "l"
    )
    feed = _render(shifts=[local])
    assert "DTSTART:20240603T070000Z" in _unfolded(feed)
    assert "DTEND:20240603T150000Z" in _unfolded(feed)


def test_uids_are_stable_across_refreshes_and_distinct_per_shift() -> None:
    first = [str(e["UID"]) for e in _events(_render())]
    later = _render(generated_at=GENERATED + timedelta(hours=1), shifts=[*SHIFTS[1:], *SHIFTS[:1]])
    again = {str(e["UID"]) for e in _events(later)}
    assert set(first) == again
    assert len(set(first)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", uid) for uid in first)
    assert first[0] == shift_uid(name="Platform", shift=SHIFTS[0])
    moved = Shift("ann", T0 + timedelta(hours=1), T0 + timedelta(days=1), "primary")
    assert shift_uid(name="Platform", shift=moved) != first[0]
    assert shift_uid(name="Other", shift=SHIFTS[0]) != first[0]
    # The end and the layer do not take part: a shift extended by a refresh keeps its event.
    longer = Shift("ann", T0, T0 + timedelta(days=3), "override")
    assert shift_uid(name="Platform", shift=longer) == first[0]


def test_attendee_is_added_only_for_users_with_an_email() -> None:
    events = _events(_render(emails={"ann": "ann@example.com"}))
    attendee = events[0]["ATTENDEE"]
    assert str(attendee) == "mailto:ann@example.com"
    assert attendee.params["CN"] == "ann"
    assert "ATTENDEE" not in events[1]


def test_shift_past_the_horizon_is_cut_at_it_and_marked() -> None:
    shifts = [
        Shift("ann", HORIZON - timedelta(days=1), HORIZON, "primary"),
        Shift("bob", HORIZON, HORIZON + timedelta(days=1), "primary"),
    ]
    events = _events(_render(shifts=shifts, horizon_end=HORIZON + timedelta(hours=1)))
    assert "DESCRIPTION" not in events[0]
    assert str(events[1]["DESCRIPTION"]) == TRUNCATED
    assert events[1]["DTEND"].dt == HORIZON + timedelta(hours=1)
    assert len(_events(_render(shifts=shifts, horizon_end=HORIZON))) == 1


def test_url_links_the_calendar_and_each_event() -> None:
    url = "https://fireline.example/schedules/platform"
    feed = _render(url=url)
    assert str(Calendar.from_ical(feed)["URL"]) == url
    assert all(str(e["URL"]) == url for e in _events(feed))


def test_lines_end_in_crlf_and_are_folded_at_75_octets() -> None:
    name = "Bereitschaft Köln–Düsseldorf ☎ " * 6
    feed = _render(name=name, emails={"ann": "a-very-long-mailbox-name-" * 4 + "@example.com"})
    assert feed.endswith(b"\r\n")
    assert feed.count(b"\n") == feed.count(b"\r\n")
    lines = feed.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something was long enough to fold
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    events = _events(feed)
    assert str(events[0]["SUMMARY"]) == f"On call: ann ({name})"
    assert (
        str(events[0]["ATTENDEE"]) == "mailto:" + "a-very-long-mailbox-name-" * 4 + "@example.com"
    )


def test_text_with_commas_semicolons_and_backslashes_is_escaped() -> None:
    name = 'Ops, core; a\\b "x"'
    feed = _render(name=name, emails={"ann": "ann@example.com"})
    text = _unfolded(feed)
    assert 'SUMMARY:On call: ann (Ops\\, core\\; a\\\\b "x")' in text
    assert '\r\nX-WR-CALNAME:Ops\\, core\\; a\\\\b "x"\r\n' in text
    assert '\r\nNAME:Ops\\, core\\; a\\\\b "x"\r\n' in text
    calendar = Calendar.from_ical(feed)
    assert _unescaped(calendar["NAME"]) == name
    assert str(_events(feed)[0]["SUMMARY"]) == f"On call: ann ({name})"


def test_user_names_needing_quotes_survive_as_attendee_common_names() -> None:
    shift = Shift("Ann, Jr; x:y", T0, T0 + timedelta(days=1), "primary")
    feed = _render(shifts=[shift], emails={shift.user: "ann@example.com"})
    assert _events(feed)[0]["ATTENDEE"].params["CN"] == "Ann, Jr; x:y"


def test_no_shifts_is_a_valid_empty_calendar() -> None:
    feed = _render(shifts=[])
    assert _events(feed) == []
    assert str(Calendar.from_ical(feed)["VERSION"]) == "2.0"


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(Invalid) as caught:
        _render(generated_at=datetime(2024, 6, 3))  # noqa: DTZ001 - naive on purpose
    assert [e.field for e in caught.value.errors] == ["generated_at"]
