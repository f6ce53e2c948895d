"""A heartbeat that stops arriving opens an incident; when it returns, the incident resolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.app import build_engine
from fireline.services.container import Container
from fireline.services.timeline import read_timeline
from tests.support.alerts import am_alert, am_payload
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.fake_clock import FakeClock

AM_KEY = "am-heartbeat-key-01"
CONFIG = f"""
services:
  - {{name: monitoring, team: sre, tier: 2}}
integrations:
  - {{name: prometheus, kind: alertmanager, key: {AM_KEY}}}
routing:
  catch_all_service: monitoring
heartbeats:
  - name: alertmanager-watchdog
    interval: 5m
    service: monitoring
    match: ['alertname="Watchdog"']
"""
WATCHDOG = am_payload(
    [
        am_alert(
            {"alertname": "Watchdog", "severity": "none"},
            fingerprint="00000000deadbeef",
            annotations={"summary": "pipeline alive"},
        )
    ]
)


@pytest.fixture
def configured(container: Container, tmp_path: Path) -> Container:
    """The container with a five-minute Watchdog heartbeat configured."""
    return apply_config(container, CONFIG, tmp_path)


def _open_incidents(api: Api) -> list[dict[str, object]]:
    page = api.ok(
        "GET",
        "/api/v1/incidents",
        as_="viewer",
        params={"status": ["triggered", "acknowledged", "mitigated"]},
    )
    items: list[dict[str, object]] = page["items"]
    return items


def test_watchdog_alerts_keep_the_heartbeat_alive_and_open_nothing(
    api: Api, configured: Container, clock: FakeClock
) -> None:
    engine = build_engine(configured)
    engine.tick()
    for _ in range(3):
        clock.advance(minutes=4)
        answer = api.post(f"/integrations/alertmanager/{AM_KEY}", as_=None, json=WATCHDOG)
        assert answer.json()["heartbeats"] == 1
        assert engine.tick()["heartbeats"] == 0
    assert _open_incidents(api) == []


def test_a_silent_heartbeat_opens_one_incident_and_its_return_resolves_it(
    api: Api, configured: Container, clock: FakeClock
) -> None:
    engine = build_engine(configured)
    engine.tick()
    clock.advance(minutes=5, seconds=1)
    assert engine.tick()["heartbeats"] == 1
    assert engine.tick()["heartbeats"] == 0
    opened = _open_incidents(api)
    assert len(opened) == 1
    assert (opened[0]["service"], opened[0]["severity"]) == ("monitoring", "SEV2")
    assert "alertmanager-watchdog missed" in str(opened[0]["title"])
    clock.advance(minutes=30)
    answer = api.post(f"/integrations/alertmanager/{AM_KEY}", as_=None, json=WATCHDOG)
    assert answer.status_code == 200
    assert _open_incidents(api) == []
    events = read_timeline(
        configured.uow, incident_id=int(str(opened[0]["id"])), after_seq=0, limit=100
    ).items
    assert [e.kind for e in events] == [
        "incident.opened",
        "heartbeat.missed",
        "heartbeat.recovered",
        "incident.resolve",
    ]


def test_heartbeats_can_be_sent_over_the_api(
    api: Api, configured: Container, clock: FakeClock
) -> None:
    engine = build_engine(configured)
    engine.tick()
    clock.advance(minutes=6)
    engine.tick()
    sent = api.post("/api/v1/heartbeats/alertmanager-watchdog", as_="responder")
    assert sent.status_code == 200
    assert sent.json()["recovered"].startswith("INC-")
    assert api.post("/api/v1/heartbeats/nope", as_="responder").status_code == 404
    assert api.post("/api/v1/heartbeats/alertmanager-watchdog", as_="viewer").status_code == 403
    assert _open_incidents(api) == []
