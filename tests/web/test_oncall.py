"""The on-call API on both databases: who is on call, schedules, overrides, users and feeds."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from fireline.services.container import Container
from tests.services.test_oncall import CONFIG
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.fake_clock import START, FakeClock

API = "/api/v1"


@pytest.fixture
def configured(container: Container, tmp_path: Path) -> Container:
    """The follow-the-sun and platform schedules, applied and live."""
    return apply_config(container, CONFIG, tmp_path)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _on_call(api: Api, schedule: str, at: datetime) -> str | None:
    [answer] = api.ok("GET", f"{API}/oncall", params={"schedule": schedule, "at": at.isoformat()})
    assert answer["schedule"] == schedule
    user: str | None = answer["user"]
    return user


def _problem(api: Api, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    response = api.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _feed_url(api: Api, user: str) -> dict[str, Any]:
    issued: dict[str, Any] = api.ok("POST", f"{API}/users/{user}/feed-token", as_="commander")
    return issued


def _override(api: Api, schedule: str = "platform", **body: Any) -> Any:
    return api.request("POST", f"{API}/schedules/{schedule}/overrides", as_="responder", json=body)


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize("schedule", ["follow-the-sun", "platform"])
def test_who_is_on_call_agrees_with_the_calendar_feed(api: Api, schedule: str) -> None:
    """For instants over 90 days, the feed's event holding each names whom the API names."""
    created = _override(
        api,
        schedule,
        user="bob",
        start_at="2026-01-20T10:30:00+01:00",
        end_at="2026-01-23T07:15:00+01:00",
    )
    assert created.status_code == 201, created.text
    url = _feed_url(api, "ann")["schedule_urls"][schedule]
    response = api.http.get(_relative(url))
    assert response.status_code == 200, response.text
    events = [
        (e["DTSTART"].dt, e["DTEND"].dt, str(e["ATTENDEE"].params["CN"]))
        for e in Calendar.from_ical(response.content).walk("VEVENT")
    ]
    assert len(events) > 5
    samples = [START + timedelta(minutes=m) for m in range(-7 * 24 * 60, 90 * 24 * 60, 7 * 60 + 13)]
    # Every event's first and last minute too, where answers change hands.
    samples += [start for start, _, _ in events if start >= START - timedelta(days=7)]
    samples += [end - timedelta(minutes=1) for _, end, _ in events]
    for at in samples:
        holding = [user for start, end, user in events if start <= at < end]
        assert len(holding) <= 1
        assert _on_call(api, schedule, at) == (holding[0] if holding else None), at


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-01-05T05:00:00Z", "zed"),
        ("2026-01-05T09:00:00+01:00", "ann"),
        ("2026-01-05T08:00:00-05:00", "uma"),
        ("2026-03-02T06:30:00-05:00", "ann"),  # before US summer time: New York is off
        ("2026-03-09T07:30:00-04:00", "vic"),  # after it: on at 11:30 UTC
        ("2026-03-09T19:30:00-04:00", "zed"),
        ("2026-03-30T07:30:00+02:00", "ann"),  # European summer time
    ],
)
def test_follow_the_sun_over_the_api(api: Api, at: str, expected: str) -> None:
    assert _on_call(api, "follow-the-sun", _at(at)) == expected


@pytest.mark.usefixtures("configured")
def test_who_defaults_to_now_on_every_schedule(api: Api) -> None:
    answers = api.ok("GET", f"{API}/oncall", as_="viewer")
    assert [(a["schedule"], a["user"], a["layer"]) for a in answers] == [
        ("follow-the-sun", "ann", "eu"),
        ("platform", "alice", "weekly"),
    ]
    platform = answers[1]
    assert platform["start_at"] == "2026-01-05T08:00:00Z"
    assert platform["end_at"] == "2026-01-12T08:00:00Z"
    assert platform["at"].startswith("2026-01-05T09:00:00")


@pytest.mark.usefixtures("configured")
def test_schedules_show_their_layers(api: Api) -> None:
    names = [s["name"] for s in api.ok("GET", f"{API}/schedules", as_="viewer")]
    assert names == ["follow-the-sun", "platform"]
    schedule = api.ok("GET", f"{API}/schedules/follow-the-sun", as_="viewer")
    us = schedule["layers"][2]
    assert us == {
        "name": "us",
        "users": ["uma", "vic"],
        "rotation": "1d",
        "handoff": "07:00",
        "time_zone": "America/New_York",
        "start_at": "2026-01-01T07:00:00-05:00",
        "restrictions": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "from": "07:00",
                "to": "19:00",
            }
        ],
    }
    assert schedule["links"]["shifts"] == f"{API}/schedules/follow-the-sun/shifts"


@pytest.mark.usefixtures("configured")
def test_shifts_are_the_final_schedule(api: Api) -> None:
    body = api.ok(
        "GET",
        f"{API}/schedules/follow-the-sun/shifts",
        params={"from": "2026-01-05T00:00:00Z", "to": "2026-01-06T00:00:00Z"},
        as_="viewer",
    )
    assert [(s["user"], s["start_at"], s["end_at"], s["layer"]) for s in body["shifts"]] == [
        ("zed", "2026-01-05T00:00:00Z", "2026-01-05T06:00:00Z", "base"),
        ("ann", "2026-01-05T06:00:00Z", "2026-01-05T12:00:00Z", "eu"),
        ("uma", "2026-01-05T12:00:00Z", "2026-01-06T00:00:00Z", "us"),
    ]
    default = api.ok("GET", f"{API}/schedules/platform/shifts", as_="viewer")
    start_at, end_at = _at(default["start_at"]), _at(default["end_at"])
    assert end_at - start_at == timedelta(days=7)
    assert timedelta(0) <= start_at - START < timedelta(seconds=1)  # from now by default


@pytest.mark.usefixtures("configured")
def test_an_override_takes_the_pager_until_it_is_removed(
    api: Api, container: Container, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    at = _at("2026-01-06T20:00:00Z")
    assert _on_call(api, "platform", at) == "alice"
    with caplog.at_level(logging.INFO, logger="fireline.audit"):
        response = _override(
            api,
            user="bob",
            start_at="2026-01-06T18:00:00+01:00",
            end_at="2026-01-07T07:00:00+01:00",
            reason="swap",
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["Location"] == f"{API}/overrides/{created['id']}"
        assert (created["created_by"], created["removed_by"]) == ("responder", None)
        assert _on_call(api, "platform", at) == "bob"
        window = {"from": "2026-01-06T00:00:00Z", "to": "2026-01-08T00:00:00Z"}
        shifts = api.ok("GET", f"{API}/schedules/platform/shifts", params=window, as_="viewer")
        assert ("bob", "2026-01-06T17:00:00Z", "2026-01-07T06:00:00Z", "override") in [
            (s["user"], s["start_at"], s["end_at"], s["layer"]) for s in shifts["shifts"]
        ]
        listed = api.ok("GET", f"{API}/schedules/platform/overrides", as_="viewer")
        assert [o["id"] for o in listed] == [created["id"]]
        clock.advance(minutes=10)
        removed = api.ok("DELETE", f"{API}/overrides/{created['id']}", as_="responder")
    assert removed["removed_by"] == "responder"
    assert removed["removed_at"] is not None
    assert _on_call(api, "platform", at) == "alice"
    assert api.ok("GET", f"{API}/schedules/platform/overrides", as_="viewer") == []
    with container.uow.read() as tx:
        kept = tx.overrides.get(created["id"])
    assert (kept.user, kept.reason, kept.created_by, kept.removed_by) == (
        "bob",
        "swap",
        "responder",
        "responder",
    )
    audit = [r.getMessage() for r in caplog.records if r.name == "fireline.audit"]
    assert [line.split(":")[0] for line in audit] == [
        f"override {created['id']} added by responder",
        f"override {created['id']} removed by responder",
    ]
    _problem(api, "DELETE", f"{API}/overrides/{created['id']}", 404, as_="responder")


GOOD = {"user": "bob", "start_at": "2026-01-06T18:00:00Z", "end_at": "2026-01-07T06:00:00Z"}


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**GOOD, "user": "mallory"}, {"user"}),
        ({**GOOD, "end_at": "2026-01-06T17:00:00Z"}, {"end_at"}),
        ({**GOOD, "start_at": "2026-01-06T18:00:00"}, {"start_at"}),
        ({**GOOD, "end_at": "2026-01-01T00:00:00Z"}, {"end_at"}),
        ({**GOOD, "reason": "x" * 501}, {"reason"}),
        ({**GOOD, "color": "red"}, {"color"}),
        ({"user": "bob"}, {"start_at", "end_at"}),
        ({**GOOD, "end_at": "9999-12-31T00:00:00Z"}, {"end_at"}),
    ],
)
def test_a_bad_override_is_422_naming_the_field(
    api: Api, body: dict[str, Any], fields: set[str]
) -> None:
    problem = _problem(
        api, "POST", f"{API}/schedules/platform/overrides", 422, as_="responder", json=body
    )
    assert _fields(problem) == fields


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("path", "params", "fields"),
    [
        ("/oncall", {"at": "2026-01-05T09:00:00"}, {"at"}),
        ("/oncall", {"at": "yesterday"}, {"at"}),
        ("/oncall", {"at": "0001-01-01T00:00:00Z"}, {"at"}),
        ("/schedules/platform/shifts", {"from": "9999-12-30T00:00:00Z"}, {"from"}),
        ("/schedules/platform/overrides", {"to": "9999-12-30T00:00:00Z"}, {"to"}),
        (
            "/schedules/platform/shifts",
            {"from": "2026-02-01T00:00Z", "to": "2026-01-01T00:00Z"},
            {"to"},
        ),
        (
            "/schedules/platform/shifts",
            {"from": "2026-01-01T00:00Z", "to": "2027-06-01T00:00Z"},
            {"to"},
        ),
        ("/schedules/platform/shifts", {"from": "2026-01-01"}, {"from"}),
        (
            "/schedules/platform/overrides",
            {"from": "2026-02-01T00:00Z", "to": "2026-01-01T00:00Z"},
            {"to"},
        ),
    ],
)
def test_bad_query_parameters_are_422_naming_them(
    api: Api, path: str, params: dict[str, str], fields: set[str]
) -> None:
    problem = _problem(api, "GET", f"{API}{path}", 422, as_="viewer", params=params)
    assert _fields(problem) == fields


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/oncall", {"params": {"schedule": "nope"}}),
        ("GET", "/schedules/nope", {}),
        ("GET", "/schedules/nope/shifts", {}),
        ("GET", "/schedules/nope/overrides", {}),
        ("POST", "/schedules/nope/overrides", {"json": GOOD}),
        ("DELETE", "/overrides/999", {}),
        ("GET", "/users/nope", {}),
        ("POST", "/users/nope/feed-token", {}),
    ],
)
def test_unknown_names_are_404(api: Api, method: str, path: str, kwargs: dict[str, Any]) -> None:
    problem = _problem(api, method, f"{API}{path}", 404, as_="responder", **kwargs)
    assert "999" in problem["detail"] or "'nope'" in problem["detail"]


@pytest.mark.usefixtures("configured")
def test_an_override_id_out_of_range_is_422(api: Api) -> None:
    path = f"{API}/overrides/{2**64}"
    problem = _problem(api, "DELETE", path, 422, as_="responder")
    assert _fields(problem) == {"override_id"}


@pytest.mark.usefixtures("configured")
def test_viewers_read_but_cannot_change_overrides_or_feeds(api: Api) -> None:
    api.ok("GET", f"{API}/schedules/platform/overrides", as_="viewer")
    created = _override(api, **GOOD).json()
    for method, path, kwargs in [
        ("POST", "/schedules/platform/overrides", {"json": GOOD}),
        ("DELETE", f"/overrides/{created['id']}", {}),
        ("POST", "/users/alice/feed-token", {}),
    ]:
        _problem(api, method, f"{API}{path}", 403, as_="viewer", **kwargs)
        _problem(api, method, f"{API}{path}", 401, as_=None, **kwargs)
    _problem(api, "GET", f"{API}/oncall", 401, as_=None)


@pytest.mark.usefixtures("configured")
def test_users_show_contact_methods_without_secrets(api: Api) -> None:
    response = api.request("GET", f"{API}/users", as_="viewer")
    assert response.status_code == 200
    assert "s3cr3t" not in response.text
    assert "k3y" not in response.text
    users = {u["name"]: u for u in response.json()}
    assert set(users) == {"ann", "ben", "uma", "vic", "zed", "alice", "bob"}
    alice = api.ok("GET", f"{API}/users/alice", as_="viewer")
    assert alice["full_name"] == "Alice Example"
    assert alice["email"] == "alice@example.com"
    assert alice["contact_methods"] == [
        {"name": "phone", "kind": "sms", "address": "+4915112345678", "address_redacted": False},
        {
            "name": "hook",
            "kind": "webhook",
            "address": "https://hooks.example.com/…",
            "address_redacted": True,
        },
    ]
    assert alice["notification_rules"] == [
        {"contact_method": "hook", "delay_minutes": 0},
        {"contact_method": "phone", "delay_minutes": 5},
    ]


@pytest.mark.usefixtures("configured")
def test_feeds_take_the_feed_token_and_a_new_one_replaces_the_old(
    api: Api, role_tokens: Any
) -> None:
    old = _feed_url(api, "ann")
    assert old["token"].startswith("flcal_")
    assert old["url"] == f"http://testserver{API}/users/ann/oncall.ics?token={old['token']}"
    assert old["webcal_url"] == old["url"].replace("http://", "webcal://")
    response = api.http.get(_relative(old["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")
    schedule_feed = api.http.get(_relative(old["schedule_urls"]["platform"]))
    assert schedule_feed.status_code == 200
    assert b"ATTENDEE;CN=alice:mailto:alice@example.com" in schedule_feed.content

    new = _feed_url(api, "ann")
    assert api.http.get(_relative(new["url"])).status_code == 200
    for path in (old["url"], old["schedule_urls"]["platform"]):
        assert api.http.get(_relative(path)).status_code == 401
    ann_feed = f"{API}/users/ann/oncall.ics"
    for params in ({}, {"token": "flcal_wrong"}, {"token": role_tokens("admin")}):
        assert api.http.get(ann_feed, params=params).status_code == 401
    # A bearer API token does not open a feed either: only the feed token does.
    assert api.get(ann_feed, as_="admin").status_code == 401
    # Ann's token opens any schedule's feed, but not Ben's own calendar.
    other = api.http.get(f"{API}/users/ben/oncall.ics", params={"token": new["token"]})
    assert other.status_code == 401
    unknown = api.http.get(f"{API}/schedules/nope/oncall.ics", params={"token": new["token"]})
    assert unknown.status_code == 404


def test_without_a_configuration_the_answer_says_to_apply_one(api: Api) -> None:
    for path in ("/oncall", "/schedules", "/users", "/schedules/platform"):
        problem = _problem(api, "GET", f"{API}{path}", 404, as_="viewer")
        assert "fireline apply" in problem["detail"]


@pytest.mark.usefixtures("configured")
def test_a_responder_issues_only_their_own_feed_token(
    api: Api, make_token: Callable[..., str]
) -> None:
    ann = {"Authorization": f"Bearer {make_token('responder', name='ann')}"}
    own = api.http.post(f"{API}/users/ann/feed-token", headers=ann)
    assert own.status_code == 201
    assert own.json()["user"] == "ann"
    theirs = api.http.post(f"{API}/users/ben/feed-token", headers=ann)
    assert theirs.status_code == 403
    assert theirs.json()["detail"] == (
        "a responder may issue only their own feed token (as 'ann'); "
        "ask a commander or admin to issue 'ben''s"
    )
    denials = api.get("/metrics", as_=None).text
    assert 'fireline_auth_denials_total{reason="forbidden"} 1.0' in denials
    # ann's URL still works: the refused request revoked nothing.
    assert api.http.get(_relative(own.json()["url"])).status_code == 200
    for role in ("commander", "admin"):
        assert api.ok("POST", f"{API}/users/ben/feed-token", as_=role)["user"] == "ben"
