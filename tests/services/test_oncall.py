"""On-call use cases on both databases: who is on call, shifts, overrides and calendar feeds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from fireline.domain.configuration import Configuration
from fireline.domain.errors import Invalid, NotFound, Unauthenticated
from fireline.services import oncall as use
from fireline.services.container import Container
from tests.support.configs import apply_config
from tests.support.fake_clock import START, FakeClock

# A 24/7 base under two daytime layers: Europe (07:00-19:00 Berlin) and the US (07:00-19:00
# New York, the top layer, so it wins where both are on). Plus a plain weekly schedule.
CONFIG = """\
services:
  - {name: platform, team: sre, tier: 1}
integrations: []
routing:
  catch_all_service: platform
users:
  - {name: ann, full_name: Ann Berlin, email: ann@example.com, time_zone: Europe/Berlin}
  - {name: ben, full_name: Ben Berlin, email: ben@example.com}
  - {name: uma, full_name: Uma York, email: uma@example.com}
  - {name: vic, full_name: Vic York, email: vic@example.com}
  - {name: zed, full_name: Zed Base, email: zed@example.com}
  - name: alice
    full_name: Alice Example
    email: alice@example.com
    contact_methods:
      - {name: phone, kind: sms, address: "+4915112345678"}
      - {name: hook, kind: webhook, address: "https://hooks.example.com/T0/s3cr3t-path?key=k3y"}
    notification_rules:
      - {contact_method: hook, after: 0m}
      - {contact_method: phone, after: 5m}
  - {name: bob, full_name: Bob Example, email: bob@example.com}
schedules:
  - name: follow-the-sun
    layers:
      - {name: base, users: [zed], rotation: 1w, handoff: "00:00", start: 2026-01-01T00:00:00Z}
      - name: eu
        users: [ann, ben]
        rotation: 1d
        handoff: "07:00"
        time_zone: Europe/Berlin
        start: 2026-01-01T07:00:00+01:00
        restrictions: [{from: "07:00", to: "19:00"}]
      - name: us
        users: [uma, vic]
        rotation: 1d
        handoff: "07:00"
        time_zone: America/New_York
        start: 2026-01-01T07:00:00-05:00
        restrictions: [{from: "07:00", to: "19:00"}]
  - name: platform
    time_zone: Europe/Berlin
    layers:
      - {name: weekly, users: [alice, bob], rotation: 1w, handoff: "09:00",
         start: 2026-01-05T09:00:00+01:00}
"""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def config(container: Container, tmp_path: Path) -> Configuration:
    """The follow-the-sun and platform schedules, applied and live."""
    apply_config(container, CONFIG, tmp_path)
    live = container.live_config.current()
    assert live is not None
    return live


def _who(container: Container, config: Configuration, schedule: str, at: datetime) -> str | None:
    [answer] = use.who_is_on_call(container.uow, config=config, schedule=schedule, at=at)
    return answer.user


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-01-05T05:00:00Z", "zed"),  # night in Berlin and New York: the base
        ("2026-01-05T08:00:00+00:00", "ann"),  # 09:00 in Berlin
        ("2026-01-05T13:00:00Z", "uma"),  # both on; the US layer is on top
        ("2026-01-05T18:30:00-05:00", "uma"),  # 18:30 in New York (23:30 UTC)
        ("2026-01-06T00:30:00Z", "zed"),
        ("2026-01-06T12:59:00+01:00", "ben"),  # the next day's European turn
        # The US changes to summer time on 8 March, Europe on 29 March.
        ("2026-03-02T11:30:00Z", "ann"),  # 06:30 EST: the US is still off
        ("2026-03-09T11:30:00Z", "vic"),  # 07:30 EDT: the US is on an hour earlier in UTC
        ("2026-03-02T23:30:00Z", "uma"),  # 18:30 EST
        ("2026-03-09T23:30:00Z", "zed"),  # 19:30 EDT: the US is off an hour earlier in UTC
        ("2026-03-23T05:30:00Z", "zed"),  # 06:30 CET
        ("2026-03-30T05:30:00Z", "ann"),  # 07:30 CEST
    ],
)
def test_follow_the_sun_answers_at_chosen_instants(
    container: Container, config: Configuration, at: str, expected: str
) -> None:
    assert _who(container, config, "follow-the-sun", _at(at)) == expected


def test_who_without_a_schedule_answers_for_every_schedule(
    container: Container, config: Configuration
) -> None:
    at = _at("2026-01-05T13:00:00Z")
    answers = use.who_is_on_call(container.uow, config=config, schedule=None, at=at)
    assert [(a.schedule, a.user) for a in answers] == [
        ("follow-the-sun", "uma"),
        ("platform", "alice"),
    ]
    platform = answers[1]
    assert (platform.start_at, platform.end_at, platform.layer) == (
        _at("2026-01-05T08:00:00Z"),
        _at("2026-01-12T08:00:00Z"),
        "weekly",
    )


def test_nobody_before_a_schedule_starts(container: Container, config: Configuration) -> None:
    [answer] = use.who_is_on_call(
        container.uow, config=config, schedule="platform", at=_at("2026-01-01T00:00:00Z")
    )
    assert (answer.user, answer.start_at, answer.end_at, answer.layer) == (None, None, None, None)


def test_unknown_schedule_is_not_found(container: Container, config: Configuration) -> None:
    with pytest.raises(NotFound, match="no schedule named 'nope'"):
        use.who_is_on_call(container.uow, config=config, schedule="nope", at=START)


def test_without_a_configuration_the_error_says_to_apply_one(container: Container) -> None:
    with pytest.raises(NotFound, match="fireline apply"):
        use.who_is_on_call(container.uow, config=None, schedule=None, at=START)
    with pytest.raises(NotFound, match="fireline apply"):
        use.list_schedules(None)


def test_shift_windows_are_bounded(container: Container, config: Configuration) -> None:
    def shifts(start: str, end: str) -> None:
        use.schedule_shifts(
            container.uow,
            config=config,
            schedule="platform",
            start_at=_at(start),
            end_at=_at(end),
        )

    with pytest.raises(Invalid) as reversed_window:
        shifts("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z")
    assert [e.field for e in reversed_window.value.errors] == ["end_at"]
    with pytest.raises(Invalid) as too_long:
        shifts("2026-01-01T00:00:00Z", "2027-01-03T00:00:00Z")
    assert [e.field for e in too_long.value.errors] == ["end_at"]
    with pytest.raises(Invalid) as naive:
        shifts("2026-01-01T00:00:00", "2026-01-03T00:00:00Z")
    assert [e.field for e in naive.value.errors] == ["start_at"]
    shifts("2026-01-01T00:00:00Z", "2027-01-02T00:00:00Z")  # 366 days is allowed


def _add(
    container: Container, config: Configuration, *, user: str, start: str, end: str, **more: str
) -> int:
    view = use.add_override(
        container.uow,
        config=config,
        override=use.NewOverride(
            more.get("schedule", "platform"), user, _at(start), _at(end), more.get("reason", "")
        ),
        actor="carol",
        now=container.clock.now(),
    )
    return view.id


def test_an_override_changes_who_is_on_call_and_the_shifts(
    container: Container, config: Configuration
) -> None:
    _add(container, config, user="bob", start="2026-01-06T18:00:00+01:00", end="2026-01-07T06:00Z")
    assert _who(container, config, "platform", _at("2026-01-06T20:00:00Z")) == "bob"
    assert _who(container, config, "platform", _at("2026-01-07T06:00:00Z")) == "alice"
    found = use.schedule_shifts(
        container.uow,
        config=config,
        schedule="platform",
        start_at=_at("2026-01-06T00:00:00Z"),
        end_at=_at("2026-01-08T00:00:00Z"),
    )
    assert [(s.user, s.start_at, s.end_at, s.layer) for s in found] == [
        ("alice", _at("2026-01-06T00:00:00Z"), _at("2026-01-06T17:00:00Z"), "weekly"),
        ("bob", _at("2026-01-06T17:00:00Z"), _at("2026-01-07T06:00:00Z"), "override"),
        ("alice", _at("2026-01-07T06:00:00Z"), _at("2026-01-08T00:00:00Z"), "weekly"),
    ]


def test_removing_an_override_restores_the_rotation_and_keeps_the_record(
    container: Container, config: Configuration, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    at = _at("2026-01-05T12:00:00Z")
    with caplog.at_level(logging.INFO, logger="fireline.audit"):
        override_id = _add(
            container,
            config,
            user="bob",
            start="2026-01-05T10:00Z",
            end="2026-01-05T14:00Z",
            reason="alice at the dentist",
        )
        assert _who(container, config, "platform", at) == "bob"
        clock.advance(minutes=5)
        removed = use.remove_override(
            container.uow, override_id=override_id, actor="dave", now=clock.now()
        )
    assert _who(container, config, "platform", at) == "alice"
    assert (removed.removed_by, removed.created_by) == ("dave", "carol")
    with container.uow.read() as tx:
        kept = tx.overrides.get(override_id)
    assert (kept.user, kept.reason, kept.removed_by) == ("bob", "alice at the dentist", "dave")
    assert kept.removed_at is not None
    assert (
        use.list_overrides(
            container.uow,
            config=config,
            schedule="platform",
            start_at=START,
            end_at=START + timedelta(days=1),
        )
        == []
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "fireline.audit"]
    assert len(lines) == 2
    assert f"override {override_id} added by carol: bob on call for schedule platform" in lines[0]
    assert f"override {override_id} removed by dave" in lines[1]
    with pytest.raises(NotFound):
        use.remove_override(container.uow, override_id=override_id, actor="dave", now=clock.now())


def test_a_bad_override_names_every_bad_field(container: Container, config: Configuration) -> None:
    with pytest.raises(Invalid) as unknown:
        _add(
            container,
            config,
            schedule="nope",
            user="mallory",
            start="2026-01-06T00:00Z",
            end="2026-01-07T00:00Z",
        )
    assert {e.field for e in unknown.value.errors} == {"schedule", "user"}
    with pytest.raises(Invalid) as reversed_span:
        _add(container, config, user="bob", start="2026-01-07T00:00Z", end="2026-01-06T00:00Z")
    assert [e.field for e in reversed_span.value.errors] == ["end_at"]
    with pytest.raises(Invalid) as past:
        _add(container, config, user="bob", start="2026-01-01T00:00Z", end="2026-01-02T00:00Z")
    assert [e.field for e in past.value.errors] == ["end_at"]
    with pytest.raises(Invalid) as long_reason:
        _add(
            container,
            config,
            user="bob",
            start="2026-01-06T00:00Z",
            end="2026-01-07T00:00Z",
            reason="x" * 501,
        )
    assert [e.field for e in long_reason.value.errors] == ["reason"]


def _events(feed: bytes) -> list[tuple[str, datetime, datetime, str]]:
    return [
        (str(e["ATTENDEE"].params["CN"]), e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"]))
        for e in Calendar.from_ical(feed).walk("VEVENT")
    ]


def test_a_feed_token_opens_the_users_own_shifts_on_every_schedule(
    container: Container, config: Configuration
) -> None:
    now = container.clock.now()
    token = use.create_feed_token(container.uow, config=config, user="ann", actor="carol", now=now)
    assert token.startswith("flcal_")
    feed = use.calendar_for_user(container.uow, config=config, token=token, user="ann", now=now)
    events = _events(feed)
    assert events
    assert {user for user, *_ in events} == {"ann"}
    assert all(summary == "On call: ann (follow-the-sun)" for *_, summary in events)
    assert min(start for _, start, _, _ in events) >= now - timedelta(days=14)
    assert max(end for _, _, end, _ in events) <= now + timedelta(days=90)
    # Every other day, 07:00-19:00 Berlin, less where the US layer takes over.
    assert (events[0][1], events[0][2]) == (_at("2026-01-01T06:00Z"), _at("2026-01-01T12:00Z"))
    assert (events[1][1], events[1][2]) == (_at("2026-01-03T06:00Z"), _at("2026-01-03T12:00Z"))
    calendar = Calendar.from_ical(feed)
    assert "On call: Ann Berlin" in str(calendar["X-WR-CALNAME"])


def test_a_users_feed_spans_schedules(container: Container, config: Configuration) -> None:
    now = container.clock.now()
    _add(container, config, user="zed", start="2026-01-06T09:00Z", end="2026-01-06T10:00Z")
    token = use.create_feed_token(container.uow, config=config, user="zed", actor="c", now=now)
    events = _events(use.calendar_for_user(container.uow, config=config, token=token, now=now))
    summaries = {summary for *_, summary in events}
    assert summaries == {"On call: zed (follow-the-sun)", "On call: zed (platform)"}
    assert (
        "zed",
        _at("2026-01-06T09:00Z"),
        _at("2026-01-06T10:00Z"),
        "On call: zed (platform)",
    ) in events


def test_feed_tokens_are_checked_and_a_new_one_replaces_the_old(
    container: Container, config: Configuration
) -> None:
    now = container.clock.now()
    old = use.create_feed_token(container.uow, config=config, user="ann", actor="c", now=now)
    new = use.create_feed_token(container.uow, config=config, user="ann", actor="c", now=now)
    assert old != new
    for token in (old, "flcal_not-a-token", "", None):
        with pytest.raises(Unauthenticated):
            use.calendar_for_schedule(
                container.uow, config=config, schedule="platform", token=token, now=now
            )
    with pytest.raises(Unauthenticated):
        use.calendar_for_user(container.uow, config=config, token=new, user="ben", now=now)
    assert use.calendar_for_schedule(
        container.uow, config=config, schedule="platform", token=new, now=now
    ).startswith(b"BEGIN:VCALENDAR\r\n")
    with pytest.raises(NotFound):
        use.calendar_for_schedule(container.uow, config=config, schedule="x", token=new, now=now)
    with pytest.raises(NotFound):
        use.create_feed_token(container.uow, config=config, user="nobody", actor="c", now=now)


def test_feed_events_keep_their_uids_from_one_refresh_to_the_next(
    container: Container, config: Configuration, clock: FakeClock
) -> None:
    token = use.create_feed_token(
        container.uow, config=config, user="zed", actor="c", now=clock.now()
    )

    def uids() -> dict[datetime, str]:
        feed = use.calendar_for_schedule(
            container.uow, config=config, schedule="platform", token=token, now=clock.now()
        )
        return {e["DTSTART"].dt: str(e["UID"]) for e in Calendar.from_ical(feed).walk("VEVENT")}

    before = uids()
    clock.advance(hours=13)
    after = uids()
    assert before == after
    first = min(before)
    assert first == datetime(2026, 1, 5, 8, tzinfo=UTC)  # the start of the schedule
