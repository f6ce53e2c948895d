"""Which incident each new alert belongs to is written in one statement per transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from fireline.domain.alerts.alert import AlertAction, AlertIn, make_alert
from fireline.domain.incidents.incident import Incident, IncidentDraft
from fireline.domain.incidents.severity import Severity
from fireline.services.container import Container
from fireline.store.repos.alert import StoredAlert
from fireline.store.uow import Tx
from tests.support.fake_clock import FakeClock


@pytest.fixture
def attaching(container: Container) -> Iterator[list[int]]:
    """Record the rows of every UPDATE of alerts' incident (one entry per statement)."""
    seen: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *more: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ALERTS SET INCIDENT_ID"):
            seen.append(len(params) if more[-1] else 1)

    event.listen(container.uow.engine, "before_cursor_execute", record)
    yield seen
    event.remove(container.uow.engine, "before_cursor_execute", record)


def _alert(instance: str) -> AlertIn:
    return make_alert(
        action=AlertAction.FIRE,
        labels={"alertname": "DiskFull", "instance": instance},
        summary=f"disk full on {instance}",
        source="alertmanager",
    )


def _open(tx: Tx, clock: FakeClock) -> Incident:
    service_id = tx.services.ensure("storage", now=clock.now())
    draft = IncidentDraft(title="Disks full", severity=Severity.SEV2, service="storage", regions=())
    return tx.incidents.add(draft, service_id=service_id, created_by="test", now=clock.now())


def _fire(tx: Tx, clock: FakeClock, instance: str) -> StoredAlert:
    return tx.alerts.upsert_firing(
        _alert(instance),
        integration="prometheus",
        dedup_key=instance,
        service="storage",
        group_key="storage/DiskFull",
        now=clock.now(),
    )


def test_three_new_alerts_are_attached_in_one_statement(
    container: Container, clock: FakeClock, attaching: list[int]
) -> None:
    with container.uow.write() as tx:
        incident = _open(tx, clock)
        for instance in ("a", "b", "c"):
            tx.alerts.attach(_fire(tx, clock, instance).id, incident.id)
        assert attaching == []
        # A repeat in the same transaction already knows its incident.
        assert _fire(tx, clock, "a").incident_id == incident.id

    assert attaching == [3]
    with container.uow.read() as tx:
        assert tx.alerts.count_firing(incident.id) == 3


def test_reads_in_the_transaction_see_the_attachments(
    container: Container, clock: FakeClock, attaching: list[int]
) -> None:
    with container.uow.write() as tx:
        incident = _open(tx, clock)
        tx.alerts.attach(_fire(tx, clock, "a").id, incident.id)
        tx.alerts.attach(_fire(tx, clock, "b").id, incident.id)
        assert tx.alerts.count_firing(incident.id) == 2
        found = tx.alerts.find_open(integration="prometheus", dedup_key="b")
        assert found is not None
        assert found.incident_id == incident.id
        resolved = tx.alerts.resolve(
            integration="prometheus", dedup_key="a", ends_at=None, now=clock.now()
        )
        assert resolved is not None
        assert resolved.incident_id == incident.id
        assert tx.alerts.count_firing(incident.id) == 1

    assert attaching == [2]
