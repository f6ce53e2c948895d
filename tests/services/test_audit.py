"""Audit verification finds the first edited, reordered or removed event of each chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fireline.services.audit import verify_timelines
from fireline.services.container import Container
from tests.support.api import Api
from tests.support.tamper import tamper

MakeIncident = Callable[..., dict[str, Any]]


@pytest.fixture
def two_incidents(api: Api, make_incident: MakeIncident) -> list[int]:
    """INC-a with 4 events and INC-b with 3."""
    ids = [make_incident()["id"], make_incident()["id"]]
    for incident_id, notes in zip(ids, (3, 2), strict=True):
        for n in range(notes):
            api.ok(
                "POST",
                f"/api/v1/incidents/{incident_id}/notes",
                as_="responder",
                json={"text": f"note {n}"},
            )
    return ids


@pytest.mark.usefixtures("two_incidents")
def test_intact_timelines_verify(container: Container) -> None:
    report = verify_timelines(container.uow)
    assert report.intact
    assert (report.incidents, report.events) == (2, 7)


def test_edited_event_is_the_first_break(container: Container, two_incidents: list[int]) -> None:
    first, _ = two_incidents
    tamper(
        container.uow.engine,
        f"UPDATE timeline_events SET actor = 'mallory' WHERE incident_id = {first} AND seq = 2",
    )
    report = verify_timelines(container.uow)
    assert [(b.incident_id, b.seq) for b in report.breaks] == [(first, 2)]
    assert "edited" in report.breaks[0].reason


def test_edited_data_is_detected(container: Container, two_incidents: list[int]) -> None:
    _, second = two_incidents
    tamper(
        container.uow.engine,
        'UPDATE timeline_events SET data = \'{"text": "all fine"}\' '
        f"WHERE incident_id = {second} AND seq = 3",
    )
    assert [(b.incident_id, b.seq) for b in verify_timelines(container.uow).breaks] == [(second, 3)]


def test_removed_middle_event_is_detected(container: Container, two_incidents: list[int]) -> None:
    first, _ = two_incidents
    tamper(
        container.uow.engine, f"DELETE FROM timeline_events WHERE incident_id = {first} AND seq = 2"
    )
    breaks = verify_timelines(container.uow).breaks
    assert [(b.incident_id, b.seq) for b in breaks] == [(first, 3)]
    assert "expected seq 2" in breaks[0].reason


def test_removed_last_event_is_detected(container: Container, two_incidents: list[int]) -> None:
    first, _ = two_incidents
    tamper(
        container.uow.engine, f"DELETE FROM timeline_events WHERE incident_id = {first} AND seq = 4"
    )
    breaks = verify_timelines(container.uow).breaks
    assert [(b.incident_id, b.seq) for b in breaks] == [(first, 4)]


def test_reordered_events_are_detected(container: Container, two_incidents: list[int]) -> None:
    first, _ = two_incidents
    where = f"WHERE incident_id = {first}"
    tamper(
        container.uow.engine,
        f"UPDATE timeline_events SET seq = -2 {where} AND seq = 2",
        f"UPDATE timeline_events SET seq = 2 {where} AND seq = 3",
        f"UPDATE timeline_events SET seq = 3 {where} AND seq = -2",
    )
    breaks = verify_timelines(container.uow).breaks
    assert [(b.incident_id, b.seq) for b in breaks] == [(first, 2)]


def test_a_timeline_removed_entirely_is_detected(
    container: Container, two_incidents: list[int]
) -> None:
    _, second = two_incidents
    tamper(container.uow.engine, f"DELETE FROM timeline_events WHERE incident_id = {second}")
    breaks = verify_timelines(container.uow).breaks
    assert [(b.incident_id, b.seq) for b in breaks] == [(second, 1)]
    assert "all 3 events are missing" in breaks[0].reason


def test_verifying_one_incident_ignores_the_others(
    container: Container, two_incidents: list[int]
) -> None:
    first, second = two_incidents
    tamper(
        container.uow.engine,
        f"UPDATE timeline_events SET kind = 'x' WHERE incident_id = {second} AND seq = 1",
    )
    assert verify_timelines(container.uow, incident_id=first).intact
    assert not verify_timelines(container.uow, incident_id=second).intact


@pytest.mark.usefixtures("two_incidents")
def test_progress_hears_every_event(container: Container) -> None:
    heard: list[int] = []
    verify_timelines(container.uow, progress=heard.append)
    assert sum(heard) == 7
