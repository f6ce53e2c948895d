"""Ingesting alerts: dedup, routing, grouping into incidents, resolution; both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from fireline.domain.alerts.alert import AlertAction, AlertIn, make_alert
from fireline.domain.configuration import Configuration, Integration, IntegrationKind
from fireline.domain.incidents.status import Status
from fireline.domain.labels import parse_matcher
from fireline.domain.routing.rules import MaintenanceWindow, OnResolved, Routing, Rule
from fireline.domain.service import make_service
from fireline.services.audit import verify_timelines
from fireline.services.container import Container
from fireline.services.ingest import ingest_alerts
from fireline.services.timeline import read_timeline
from tests.support.fake_clock import FakeClock

SEVERITY = (
    "{% if labels.severity == 'critical' and not labels.region %}SEV1"
    "{% elif labels.severity == 'critical' %}SEV2{% else %}SEV3{% endif %}"
)
AM = Integration("prometheus", IntegrationKind.ALERTMANAGER, "am-key-123456")


def _config(**routing: Any) -> Configuration:
    rules = (
        Rule(
            "queue",
            (parse_matcher('alertname="QueueSaturated"'),),
            "job-queue",
            severity=SEVERITY,
            runbook="runbooks/queue-saturation.md",
        ),
        Rule(
            "broken",
            (parse_matcher('alertname="Broken"'),),
            "job-queue",
            severity="{{ labels.nope.deeper() }}",
            title="{{ 1/0 }}",
        ),
    )
    services = tuple(
        make_service(name=n, team="t", tier=1, regions=[]) for n in ("job-queue", "monitoring")
    )
    return Configuration(
        services=services,
        integrations=(AM,),
        routing=Routing(rules=rules, catch_all_service="monitoring", **routing),
    )


def _alert(action: AlertAction = AlertAction.FIRE, **labels: str) -> AlertIn:
    labels = {"alertname": "QueueSaturated", "region": "eu-west-1", "severity": "warning", **labels}
    return make_alert(
        action=action,
        labels=labels,
        summary=f"{labels['alertname']} firing",
        source="alertmanager",
        annotations={"summary": "Queue is saturated"},
    )


Ingest = Callable[..., Any]


@pytest.fixture
def ingest(container: Container, clock: FakeClock) -> Ingest:
    def run(*alerts: AlertIn, config: Configuration | None = None) -> Any:
        return ingest_alerts(
            container.uow,
            config=config or _config(),
            integration=AM,
            alerts=list(alerts),
            now=clock.now(),
        )

    return run


def _events(container: Container, incident_id: int) -> list[Any]:
    page = read_timeline(container.uow, incident_id=incident_id, after_seq=0, limit=1000)
    return page.items


def _incident(container: Container, incident_id: int) -> Any:
    with container.uow.read() as tx:
        return tx.incidents.get(incident_id)


def test_a_new_alert_opens_an_incident_with_templated_severity_and_runbook(
    container: Container, ingest: Ingest
) -> None:
    result = ingest(_alert(severity="critical"))
    assert (result.new, len(result.opened)) == (1, 1)
    incident = _incident(container, result.opened[0])
    assert (incident.severity.value, incident.service, incident.status) == (
        "SEV2",
        "job-queue",
        Status.TRIGGERED,
    )
    assert incident.runbook_url == "runbooks/queue-saturation.md"
    assert incident.title == "Queue is saturated"
    assert incident.regions == ("eu-west-1",)
    events = _events(container, incident.id)
    assert [e.kind for e in events] == ["incident.opened", "alert.fired"]
    assert events[0].data["runbook"] == "runbooks/queue-saturation.md"
    assert events[1].data["source"] == "alertmanager"
    assert events[0].actor == "alertmanager:prometheus"


def test_repeats_are_counted_not_duplicated(container: Container, ingest: Ingest) -> None:
    first = ingest(_alert())
    for _ in range(3):
        again = ingest(_alert())
        assert (again.new, again.repeats, again.opened) == (0, 1, [])
    with container.uow.read() as tx:
        assert tx.alerts.count(status="firing") == 1
        stored = tx.alerts.find_open(integration="prometheus", dedup_key=first.dedup_keys[0])
    assert stored is not None
    assert stored.occurrences == 4
    assert len(_events(container, first.opened[0])) == 2


def test_alerts_with_one_group_key_share_an_incident_and_a_worse_one_raises_it(
    container: Container, ingest: Ingest
) -> None:
    first = ingest(_alert(instance="worker-1"))
    second = ingest(_alert(instance="worker-2", severity="critical"))
    assert second.opened == []
    assert second.touched == first.opened
    incident = _incident(container, first.opened[0])
    assert incident.severity.value == "SEV2"
    kinds = [e.kind for e in _events(container, incident.id)]
    assert kinds == ["incident.opened", "alert.fired", "incident.edited", "alert.fired"]


def test_when_all_alerts_resolve_the_incident_resolves(
    container: Container, ingest: Ingest
) -> None:
    opened = ingest(_alert(instance="a"), _alert(instance="b")).opened[0]
    ingest(_alert(AlertAction.RESOLVE, instance="a"))
    assert _incident(container, opened).status is Status.TRIGGERED
    ingest(_alert(AlertAction.RESOLVE, instance="b"))
    incident = _incident(container, opened)
    assert incident.status is Status.RESOLVED
    last = _events(container, opened)[-1]
    assert (last.kind, last.data["reason"]) == ("incident.resolve", "all alerts resolved")


def test_on_resolved_mitigate_leaves_the_incident_for_a_person_to_resolve(
    container: Container, ingest: Ingest
) -> None:
    config = _config(on_resolved=OnResolved.MITIGATE)
    opened = ingest(_alert(), config=config).opened[0]
    ingest(_alert(AlertAction.RESOLVE), config=config)
    assert _incident(container, opened).status is Status.MITIGATED


def test_a_resolved_alert_firing_again_opens_a_new_alert_and_incident(
    container: Container, ingest: Ingest
) -> None:
    first = ingest(_alert()).opened[0]
    ingest(_alert(AlertAction.RESOLVE))
    again = ingest(_alert())
    assert again.new == 1
    assert again.opened
    assert again.opened[0] != first
    with container.uow.read() as tx:
        assert tx.alerts.count() == 2
        assert tx.alerts.count(status="firing") == 1


def test_resolving_an_unknown_alert_changes_nothing(container: Container, ingest: Ingest) -> None:
    result = ingest(_alert(AlertAction.RESOLVE))
    assert (result.unmatched, result.touched) == (1, [])
    with container.uow.read() as tx:
        assert tx.alerts.count() == 0


def test_an_acknowledge_from_the_sender_acknowledges_the_incident(
    container: Container, ingest: Ingest
) -> None:
    opened = ingest(_alert()).opened[0]
    result = ingest(_alert(AlertAction.ACKNOWLEDGE))
    assert result.acknowledged == 1
    assert _incident(container, opened).status is Status.ACKNOWLEDGED


def test_alerts_matching_no_rule_go_to_the_catch_all_service(
    container: Container, ingest: Ingest
) -> None:
    result = ingest(_alert(alertname="SomethingNew"))
    incident = _incident(container, result.opened[0])
    assert incident.service == "monitoring"


def test_a_failing_template_falls_back_and_is_reported_but_the_alert_is_kept(
    container: Container, ingest: Ingest
) -> None:
    result = ingest(_alert(alertname="Broken"))
    assert result.opened
    assert any("severity template failed" in p for p in result.problems)
    assert any("title template failed" in p for p in result.problems)
    incident = _incident(container, result.opened[0])
    assert (incident.severity.value, incident.title) == ("SEV4", "Queue is saturated")


def test_a_maintenance_window_records_but_marks_paging_suppressed(
    container: Container, ingest: Ingest, clock: FakeClock
) -> None:
    now = clock.now()
    window = MaintenanceWindow("job-queue", now - timedelta(hours=1), now + timedelta(hours=1))
    config = replace(_config(), maintenance=(window,))
    result = ingest(_alert(), config=config)
    events = _events(container, result.opened[0])
    assert events[0].data["paging_suppressed"] == "maintenance window"


def test_truncated_alerts_are_noted_on_the_incident(container: Container, ingest: Ingest) -> None:
    alert = _alert()
    truncated = replace(alert, details={"truncated_alerts": 7})
    result = ingest(truncated)
    events = _events(container, result.opened[0])
    assert events[-1].kind == "alerts.truncated"
    assert events[-1].data == {"truncated_alerts": 7}


def test_a_dedup_storm_leaves_one_open_alert_per_key(
    container: Container, clock: FakeClock
) -> None:
    keys, rounds, workers = 20, 10, 8
    alerts = [_alert(instance=f"worker-{n}") for n in range(keys)]
    barrier = threading.Barrier(workers)

    def storm(worker: int) -> int:
        barrier.wait()
        total = 0
        for n in range(rounds):
            batch = alerts[(worker + n) % keys :: 3]
            total += ingest_alerts(
                container.uow, config=_config(), integration=AM, alerts=batch, now=clock.now()
            ).accepted
        return total

    with ThreadPoolExecutor(workers) as pool:
        sent = sum(pool.map(storm, range(workers)))
    with container.uow.read() as tx:
        assert tx.alerts.count(status="firing") == keys
        incidents = tx.incidents.list_(
            __import__(
                "fireline.domain.incidents.query", fromlist=["IncidentFilter"]
            ).IncidentFilter(),
            before_id=None,
            limit=100,
        )
    assert len(incidents) == 1
    assert sent > keys
    assert verify_timelines(container.uow).intact


def test_in_one_batch_an_alert_firing_again_after_its_incident_resolved_opens_a_new_one(
    container: Container, ingest: Ingest
) -> None:
    config = _config(on_resolved=OnResolved.RESOLVE)
    result = ingest(
        _alert(instance="worker-1"),
        _alert(AlertAction.RESOLVE, instance="worker-1"),
        _alert(instance="worker-1"),
        config=config,
    )
    assert len(result.opened) == 2
    first, second = (_incident(container, i) for i in result.opened)
    assert (first.status, second.status) == (Status.RESOLVED, Status.TRIGGERED)


def test_in_one_batch_alerts_of_a_group_share_its_incident_and_raise_it_once(
    container: Container, ingest: Ingest
) -> None:
    result = ingest(
        _alert(instance="worker-1"),
        _alert(instance="worker-2", severity="critical"),
        _alert(instance="worker-3"),
    )
    assert (result.new, len(result.opened)) == (3, 1)
    incident = _incident(container, result.opened[0])
    assert incident.severity.value == "SEV2"
    kinds = [e.kind for e in _events(container, incident.id)]
    assert kinds.count("alert.fired") == 3
    assert kinds.count("incident.edited") == 1


@contextmanager
def _statements(container: Container) -> Iterator[list[str]]:
    """Record every SQL statement sent to the database inside the block."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_more: Any) -> None:
        sent.append(statement.lstrip())

    event.listen(container.uow.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(container.uow.engine, "before_cursor_execute", record)


def test_in_one_batch_alerts_of_many_groups_find_their_open_incidents_in_one_query(
    container: Container, ingest: Ingest
) -> None:
    earlier = ingest(_alert(instance="w-1"), _alert(region="us-east-1", instance="w-2"))
    eu, us = earlier.opened
    with _statements(container) as sent:
        result = ingest(
            _alert(region="us-east-1", instance="w-3"),
            _alert(instance="w-4"),
            _alert(region="ap-south-1", instance="w-5"),
            _alert(instance="w-1"),
        )
    lookups = [s for s in sent if "FROM incidents" in s and "group_key" in s]
    assert (result.new, result.repeats, len(result.opened)) == (3, 1, 1)
    assert len(lookups) == 1
    assert result.touched == [result.opened[0], eu, us]
    with container.uow.read() as tx:
        assert tx.alerts.count_firing(eu) == 2
        assert tx.alerts.count_firing(us) == 2
        assert tx.alerts.count_firing(result.opened[0]) == 1


def test_in_one_batch_new_groups_open_their_incidents_in_one_insert(
    container: Container, ingest: Ingest
) -> None:
    with _statements(container) as sent:
        result = ingest(
            _alert(region="us-east-1", instance="w-1"),
            _alert(instance="w-2"),
            _alert(region="ap-south-1", instance="w-3"),
            _alert(region="us-east-1", instance="w-4", severity="critical"),
        )
    inserts = [s.split()[2] for s in sent if s.upper().startswith("INSERT INTO INCIDENT")]
    assert sorted(inserts) == ["incident_regions", "incidents"]
    assert (result.new, len(result.opened)) == (4, 3)
    incidents = [_incident(container, i) for i in result.opened]
    assert [i.regions for i in incidents] == [("ap-south-1",), ("eu-west-1",), ("us-east-1",)]
    assert [i.severity.value for i in incidents] == ["SEV3", "SEV3", "SEV2"]
    kinds = [e.kind for e in _events(container, incidents[2].id)]
    assert kinds[0] == "incident.opened"
    assert kinds.count("alert.fired") == 2
    assert verify_timelines(container.uow).intact
