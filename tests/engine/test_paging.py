"""Paging end to end: alert → incident → escalation → outbox → a fake PagerDuty, and back.

The engine is ticked by hand with a fake clock (GoAlert's smoke-test style); PagerDuty is a
real loopback server that checks every event against the contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from fireline.app import build_engine
from fireline.engine.loop import Engine
from fireline.services.audit import verify_timelines
from fireline.services.container import Container
from fireline.services.timeline import read_timeline
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import running
from tests.fakes.webhook import PATH as HOOK_PATH
from tests.fakes.webhook import FakeWebhookReceiver
from tests.support.alerts import am_alert, am_payload
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.fake_clock import FakeClock
from tests.support.oncall_config import INTAKE_KEY, PD_ROUTING_KEY, WEBHOOK_SECRET, oncall_config

INC_KEY = "INC-1"


def _alert(status: str = "firing") -> dict[str, Any]:
    labels = {"alertname": "QueueSaturated", "severity": "critical", "region": "eu-west-1"}
    annotations = {"summary": "Queue is saturated", "runbook_url": "https://runbooks.example/queue"}
    alert = am_alert(labels, fingerprint="0000000000000a11", status=status, annotations=annotations)
    return am_payload([alert], status=status)


@pytest.fixture
def pagerduty() -> Iterator[tuple[FakePagerDuty, str]]:
    """A fake PagerDuty on loopback and its enqueue URL."""
    fake = FakePagerDuty()
    with running(fake) as url:
        yield fake, f"{url}/v2/enqueue"


@pytest.fixture
def webhook(clock: FakeClock) -> Iterator[tuple[FakeWebhookReceiver, str]]:
    """A fake webhook receiver (the users' contact method) and its URL."""
    fake = FakeWebhookReceiver(clock=clock, secret=WEBHOOK_SECRET)
    with running(fake) as url:
        yield fake, f"{url}{HOOK_PATH}"


@pytest.fixture
def engine(
    container: Container,
    tmp_path: Path,
    pagerduty: tuple[FakePagerDuty, str],
    webhook: tuple[FakeWebhookReceiver, str],
) -> Iterator[Engine]:
    """The engine, with a config whose job-queue service pages the fake PagerDuty first."""
    text = oncall_config(pagerduty_url=pagerduty[1], webhook_url=webhook[1], fallback="ops-hook")
    apply_config(container, text, tmp_path)
    built = build_engine(container)
    yield built
    built.close()


def _kinds(container: Container, incident_id: int = 1) -> list[str]:
    events = read_timeline(container.uow, incident_id=incident_id, after_seq=0, limit=500).items
    return [e.kind for e in events]


def test_alert_triggers_pagerduty_with_the_incident_ref(
    api: Api, container: Container, engine: Engine, pagerduty: tuple[FakePagerDuty, str]
) -> None:
    fake, _ = pagerduty
    assert (
        api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert()).status_code
        == 200
    )
    done = engine.tick()  # the first step's page was queued with the incident: one tick sends it
    assert (done["escalations"], done["outbox"]) == (0, 1)
    [received] = fake.take()
    event = received.json()
    assert (event["event_action"], event["dedup_key"]) == ("trigger", INC_KEY)
    assert event["routing_key"] == PD_ROUTING_KEY
    assert event["payload"]["severity"] == "error"  # SEV2: critical in one region
    assert {"href": "https://runbooks.example/queue", "text": "Runbook"} in event["links"]
    assert engine.tick() == {"heartbeats": 0, "escalations": 0, "runbook_steps": 0, "outbox": 0}
    assert _kinds(container) == [
        "incident.opened",
        "escalation.started",
        "escalation.step",
        "alert.fired",
        "notification.sent",
    ]


def test_ack_stops_escalation_and_is_mirrored_then_resolve_is_mirrored(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    pagerduty: tuple[FakePagerDuty, str],
) -> None:
    fake, _ = pagerduty
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()
    fake.take()
    api.ok("POST", f"/api/v1/incidents/{INC_KEY}/acknowledge", as_="responder", json={})
    engine.tick()
    [ack] = fake.take()
    assert (ack.json()["event_action"], ack.json()["dedup_key"]) == ("acknowledge", INC_KEY)
    clock.advance(minutes=30)  # past the 5-minute step delay: nobody more is paged
    assert engine.tick()["escalations"] == 0
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert("resolved"))
    engine.tick()
    [resolve] = fake.take()
    assert resolve.json()["event_action"] == "resolve"
    assert fake.status(INC_KEY, routing_key=PD_ROUTING_KEY) == "resolved"
    kinds = _kinds(container)
    assert kinds.count("notification.sent") == 3
    assert "escalation.step" in kinds


def test_provider_outage_is_retried_with_backoff_honouring_retry_after(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    pagerduty: tuple[FakePagerDuty, str],
) -> None:
    fake, _ = pagerduty
    fake.fail_next(503)
    fake.fail_next(429, retry_after="120")
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()  # 503: retried after a few seconds
    assert fake.pending() == 0
    clock.advance(seconds=11)
    engine.tick()  # 429 asking for two minutes
    clock.advance(seconds=60)
    assert engine.tick()["outbox"] == 0  # Retry-After is honoured
    clock.advance(seconds=61)
    assert engine.tick()["outbox"] == 1
    [event] = fake.take()
    assert event.json()["dedup_key"] == INC_KEY
    assert len(fake.attempts) == 3
    kinds = _kinds(container)
    assert kinds.count("notification.retrying") == 2
    assert kinds.count("notification.sent") == 1


def test_unacknowledged_incident_escalates_to_whoever_is_on_call(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    pagerduty: tuple[FakePagerDuty, str],
    webhook: tuple[FakeWebhookReceiver, str],
) -> None:
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()
    pagerduty[0].take()
    clock.advance(minutes=4)
    assert engine.tick()["escalations"] == 0
    clock.advance(minutes=1, seconds=1)
    assert engine.tick()["escalations"] == 1
    [page] = webhook[0].take()
    body = page.json()
    assert (body["event"], body["recipient"], body["step"]) == ("incident.triggered", "alice", 1)
    assert body["incident"]["incident_url"] == "https://fireline.example/incidents/INC-1"
    step = [
        e
        for e in read_timeline(container.uow, incident_id=1, after_seq=0, limit=100).items
        if e.kind == "escalation.step"
    ][-1]
    assert step.data["targets"] == [
        {"target": "schedule:platform", "on_call": "alice", "via": ["hook"]}
    ]


def test_override_takes_the_page(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    pagerduty: tuple[FakePagerDuty, str],
    webhook: tuple[FakeWebhookReceiver, str],
) -> None:
    now = clock.now()
    with container.uow.write() as tx:
        tx.overrides.add(
            "platform",
            user="bob",
            start_at=now,
            end_at=now + timedelta(hours=8),
            reason="swap",
            created_by="test",
            now=now,
        )
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()
    pagerduty[0].take()
    clock.advance(minutes=6)
    engine.tick()
    [page] = webhook[0].take()
    assert page.json()["recipient"] == "bob"


def test_permanent_failure_is_dead_lettered_to_the_fallback_channel(
    api: Api,
    container: Container,
    engine: Engine,
    pagerduty: tuple[FakePagerDuty, str],
    webhook: tuple[FakeWebhookReceiver, str],
) -> None:
    pagerduty[0].fail_next(403)
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()
    engine.tick()
    [copy] = webhook[0].take()
    assert copy.json()["details"]["undelivered_to"] == "channel:pd-platform"
    events = read_timeline(container.uow, incident_id=1, after_seq=0, limit=100).items
    failed = [e for e in events if e.kind == "notification.failed"]
    assert failed[0].data["fallback"] == "ops-hook"
    assert "403" in failed[0].data["reason"]
    assert PD_ROUTING_KEY not in str(failed[0].data)


def test_a_storm_of_incidents_is_throttled_per_contact_method(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    pagerduty: tuple[FakePagerDuty, str],
    webhook: tuple[FakeWebhookReceiver, str],
) -> None:
    for name in ("QueueSaturated", "QueueStuck", "QueueSlow"):
        alert = _alert()
        alert["alerts"][0]["labels"]["alertname"] = name
        alert["alerts"][0]["fingerprint"] = f"{abs(hash(name)):016x}"[:16]
        api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=alert)
    engine.tick()
    pagerduty[0].take(3)
    clock.advance(minutes=5, seconds=1)
    engine.tick()
    engine.tick()
    assert len(webhook[0].take()) == 1  # one per minute to one contact method
    assert webhook[0].pending() == 0
    clock.advance(minutes=1)
    engine.tick()
    assert len(webhook[0].take()) == 1
    clock.advance(minutes=1)
    engine.tick()
    assert len(webhook[0].take()) == 1
    with container.uow.read() as tx:
        assert tx.notifications.count_by_status() == {"sent": 6}


def test_reopened_incident_escalates_again(
    api: Api, container: Container, engine: Engine, pagerduty: tuple[FakePagerDuty, str]
) -> None:
    fake, _ = pagerduty
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()
    api.ok("POST", f"/api/v1/incidents/{INC_KEY}/resolve", as_="responder", json={})
    engine.tick()
    assert [r.json()["event_action"] for r in fake.take(2)] == ["trigger", "resolve"]
    api.ok("POST", f"/api/v1/incidents/{INC_KEY}/reopen", as_="responder", json={})
    assert engine.tick()["escalations"] == 1
    [again] = fake.take()
    assert (again.json()["event_action"], again.json()["dedup_key"]) == ("trigger", INC_KEY)
    assert fake.status(INC_KEY, routing_key=PD_ROUTING_KEY) == "triggered"
    steps = [
        e
        for e in read_timeline(container.uow, incident_id=1, after_seq=0, limit=100).items
        if e.kind == "escalation.step"
    ]
    assert [s.data["cycle"] for s in steps] == [0, 1]


def test_notifications_of_an_incident_are_listed(
    api: Api, engine: Engine, pagerduty: tuple[FakePagerDuty, str]
) -> None:
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()
    pagerduty[0].take()
    [sent] = api.ok("GET", f"/api/v1/incidents/{INC_KEY}/notifications", as_="viewer")
    assert (sent["target"], sent["kind"], sent["status"], sent["step"]) == (
        "channel:pd-platform",
        "trigger",
        "sent",
        1,
    )
    assert sent["idempotency_key"] == "INC-1:c0s0:channel:pd-platform"
    assert api.ok("GET", "/api/v1/notifications/summary", as_="viewer") == {"sent": 1}
    assert api.get("/api/v1/incidents/INC-404/notifications", as_="viewer").status_code == 404


def test_a_batch_of_pages_settles_with_one_lock_and_one_update(
    api: Api, container: Container, engine: Engine, pagerduty: tuple[FakePagerDuty, str]
) -> None:
    fake, _ = pagerduty
    alerts = [
        am_alert({"alertname": f"Queue{n}", "severity": "critical"}, fingerprint=f"{n:016x}")
        for n in range(5)
    ]
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=am_payload(alerts))
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_more: Any) -> None:
        sent.append(" ".join(statement.split()).upper())

    event.listen(container.uow.engine, "before_cursor_execute", record)
    try:
        assert engine.tick()["outbox"] == 5
    finally:
        event.remove(container.uow.engine, "before_cursor_execute", record)
    assert len(fake.take(5)) == 5
    heads = "SELECT INCIDENTS.ID, INCIDENTS.TIMELINE_SEQ, INCIDENTS.TIMELINE_HEAD FROM INCIDENTS"
    locks = [s for s in sent if s.startswith(heads)]
    marks = [s for s in sent if s.startswith("UPDATE NOTIFICATIONS") and "SENT_AT" in s]
    assert (len(locks), len(marks)) == (1, 1)
    with container.uow.read() as tx:
        assert tx.notifications.count_by_status() == {"sent": 5}
    for incident_id in range(1, 6):
        assert _kinds(container, incident_id)[-1] == "notification.sent"
    assert verify_timelines(container.uow).intact
