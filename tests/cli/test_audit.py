"""`fireline audit verify` on an intact and on a tampered database, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fireline.services.container import Container
from tests.cli.harness import Fireline
from tests.support.api import Api
from tests.support.tamper import tamper


@pytest.fixture
def two_incidents(api: Api, make_incident: Callable[..., dict[str, Any]]) -> None:
    """INC-1 with 3 events and INC-2 with 2."""
    for incident, notes in ((make_incident(), 2), (make_incident(), 1)):
        for n in range(notes):
            api.ok(
                "POST",
                f"/api/v1/incidents/{incident['ref']}/notes",
                as_="responder",
                json={"text": f"note {n}"},
            )


@pytest.mark.usefixtures("two_incidents")
def test_intact_database_verifies_and_exits_0(admin: Fireline) -> None:
    result = admin.ok("audit", "verify")
    assert result.stdout == "ok: 5 events in 2 incident timelines verify\n"
    report = admin.json("audit", "verify")
    assert report == {"intact": True, "incidents": 2, "events": 5, "breaks": []}


def test_empty_database_verifies(admin: Fireline) -> None:
    assert admin.ok("audit", "verify").stdout == "ok: 0 events in 0 incident timelines verify\n"


@pytest.mark.usefixtures("two_incidents")
def test_edited_event_exits_1_naming_the_first_broken_event(
    admin: Fireline, container: Container
) -> None:
    tamper(
        container.uow.engine,
        "UPDATE timeline_events SET actor = 'mallory' WHERE incident_id = 1 AND seq = 2",
    )
    result = admin("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: INC-1 event seq 2: content does not match its hash: the event was edited",
        "error: 1 broken timeline(s); first broken event: INC-1 seq 2",
    ]


@pytest.mark.usefixtures("two_incidents")
def test_json_lists_each_broken_chain(admin: Fireline, container: Container) -> None:
    tamper(
        container.uow.engine,
        "DELETE FROM timeline_events WHERE incident_id = 1 AND seq = 2",
        'UPDATE timeline_events SET data = \'{"text": "all fine"}\' '
        "WHERE incident_id = 2 AND seq = 2",
    )
    result = admin("audit", "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["intact"], report["incidents"], report["events"]) == (False, 2, 4)
    assert [(b["incident"], b["seq"]) for b in report["breaks"]] == [("INC-1", 3), ("INC-2", 2)]
    assert "expected seq 2" in report["breaks"][0]["reason"]


@pytest.mark.usefixtures("two_incidents")
def test_incident_option_verifies_only_that_timeline(admin: Fireline, container: Container) -> None:
    tamper(
        container.uow.engine,
        "UPDATE timeline_events SET actor = 'mallory' WHERE incident_id = 1 AND seq = 3",
    )
    other = admin.ok("audit", "verify", "--incident", "INC-2")
    assert other.stdout == "ok: 2 events in 1 incident timelines verify\n"
    broken = admin("audit", "verify", "--incident", "1")
    assert broken.exit_code == 1
    assert "first broken event: INC-1 seq 3" in broken.stderr


@pytest.mark.parametrize(
    ("ref", "said"),
    [("INC-99", "no incident INC-99"), ("banana", "no incident 'banana'")],
)
@pytest.mark.usefixtures("two_incidents")
def test_unknown_incident_exits_4(admin: Fireline, ref: str, said: str) -> None:
    result = admin("audit", "verify", "--incident", ref)
    assert result.exit_code == 4
    assert said in result.stderr


def test_unmigrated_database_exits_5(fireline: Fireline, empty_db_url: str) -> None:
    result = fireline("audit", "verify", env={"FIRELINE_DATABASE_URL": empty_db_url})
    assert result.exit_code == 5
    assert "fireline db upgrade" in result.stderr
