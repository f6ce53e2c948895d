"""`fireline oncall …` against a real server over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from fireline.cli.output import Exit
from fireline.services.container import Container
from tests.cli.harness import Fireline
from tests.services.test_oncall import CONFIG
from tests.support.configs import apply_config

MakeToken = Callable[..., str]
BOB_TONIGHT = (
    "oncall",
    "override",
    "add",
    "--schedule",
    "platform",
    "--user",
    "bob",
    "--from",
    "2026-01-06T18:00:00+01:00",
    "--to",
    "2026-01-07T07:00:00+01:00",
)


@pytest.fixture
def oncall(container: Container, tmp_path: Path, responder: Fireline) -> Fireline:
    """`fireline` as a responder of a live server whose config declares the test schedules."""
    apply_config(container, CONFIG, tmp_path)
    return responder


def _row(table: str, *cells: str) -> str:
    """Return the one line of `table` holding every cell."""
    [line] = [line for line in table.splitlines() if all(cell in line for cell in cells)]
    return line


def test_who_shows_each_schedule(oncall: Fireline) -> None:
    table = oncall.ok("oncall", "who", "--at", "2026-01-05T13:00:00Z").stdout
    _row(table, "follow-the-sun", "uma", "2026-01-05 12:00", "2026-01-06 00:00", "us")
    _row(table, "platform", "alice", "2026-01-05 08:00", "2026-01-12 08:00", "weekly")
    answers = oncall.json(
        "oncall", "who", "--schedule", "follow-the-sun", "--at", "2026-03-09T11:30Z"
    )
    assert [(a["schedule"], a["user"]) for a in answers] == [("follow-the-sun", "vic")]


def test_shifts_lists_the_final_schedule(oncall: Fireline) -> None:
    window = ("--from", "2026-01-05T00:00:00Z", "--to", "2026-01-06T00:00:00Z")
    table = oncall.ok("oncall", "shifts", "--schedule", "follow-the-sun", *window).stdout
    _row(table, "2026-01-05 00:00", "2026-01-05 06:00", "zed", "base")
    _row(table, "2026-01-05 06:00", "2026-01-05 12:00", "ann", "eu")
    _row(table, "2026-01-05 12:00", "2026-01-06 00:00", "uma", "us")
    result = oncall.json("oncall", "shifts", "--schedule", "follow-the-sun", *window)
    assert [s["user"] for s in result["shifts"]] == ["zed", "ann", "uma"]


def test_override_add_list_remove(oncall: Fireline) -> None:
    added = oncall.ok(*BOB_TONIGHT, "--reason", "swap with alice").stdout
    assert added == (
        "override 1: bob on call for platform from 2026-01-06 17:00 to 2026-01-07 06:00 UTC\n"
    )
    at = ("--schedule", "platform", "--at", "2026-01-06T20:00:00Z")
    assert [a["user"] for a in oncall.json("oncall", "who", *at)] == ["bob"]
    table = oncall.ok("oncall", "override", "list", "--schedule", "platform").stdout
    _row(table, "1", "bob", "2026-01-06 17:00", "2026-01-07 06:00", "alice", "swap with alice")
    removed = oncall.json("oncall", "override", "remove", "1")
    assert (removed["removed_by"], removed["created_by"]) == ("alice", "alice")
    assert [a["user"] for a in oncall.json("oncall", "who", *at)] == ["alice"]
    assert oncall.ok("oncall", "override", "list", "--schedule", "platform").stdout == (
        "no overrides\n"
    )
    again = oncall("oncall", "override", "remove", "1")
    assert again.exit_code == Exit.NOT_FOUND
    assert "no override with id 1" in again.stderr


def test_feed_prints_a_url_that_serves_the_calendar(oncall: Fireline) -> None:
    url = oncall.ok("oncall", "feed", "--user", "alice").stdout
    assert url.count("\n") == 1
    assert "/api/v1/users/alice/oncall.ics?token=flcal_" in url
    response = httpx.get(url.strip())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    users = {
        str(e["ATTENDEE"].params["CN"]) for e in Calendar.from_ical(response.content).walk("VEVENT")
    }
    assert users == {"alice"}
    oncall.ok("oncall", "feed", "--user", "alice")  # a new URL: the old one stops working
    assert httpx.get(url.strip()).status_code == 401


def test_bad_input_is_refused_with_the_option_named(oncall: Fireline) -> None:
    reversed_span = oncall(*BOB_TONIGHT[:-1], "2026-01-06T17:00:00+01:00")
    assert reversed_span.exit_code == Exit.REJECTED
    assert "--to: must be after start_at" in reversed_span.stderr
    unknown_user = oncall(*BOB_TONIGHT[:6], "mallory", *BOB_TONIGHT[7:])
    assert unknown_user.exit_code == Exit.REJECTED
    assert "--user: 'mallory' is not a declared user" in unknown_user.stderr
    naive = oncall("oncall", "who", "--at", "2026-01-05T09:00:00")
    assert naive.exit_code == Exit.REJECTED
    assert "--at:" in naive.stderr


def test_unknown_schedules_and_users_exit_not_found(oncall: Fireline) -> None:
    for args in (
        ("oncall", "who", "--schedule", "nope"),
        ("oncall", "shifts", "--schedule", "nope"),
        ("oncall", "override", "list", "--schedule", "nope"),
        ("oncall", "feed", "--user", "nope"),
        ("oncall", "who", "--schedule", "../tokens"),  # refused before any request
    ):
        result = oncall(*args)
        assert result.exit_code == Exit.NOT_FOUND, args
        assert "nope" in result.stderr or "'../tokens'" in result.stderr


def test_a_viewer_cannot_override(oncall: Fireline, make_token: MakeToken) -> None:
    viewer = oncall.with_env(FIRELINE_TOKEN=make_token("viewer", name="val"))
    viewer.ok("oncall", "who")
    refused = viewer(*BOB_TONIGHT)
    assert refused.exit_code == Exit.AUTH
    assert "403" in refused.stderr
