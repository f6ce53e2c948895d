"""Escalation snapshots are written at commit, and reads in the transaction see them first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fireline.domain.incidents.incident import IncidentDraft
from fireline.domain.incidents.severity import Severity
from fireline.services.container import Container
from fireline.store.repos.escalation import ACTIVE, STARTING, EscalationRecord
from fireline.store.uow import Tx

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def _record(tx: Tx) -> EscalationRecord:
    service_id = tx.services.ensure("job-queue", now=NOW)
    draft = IncidentDraft(
        title="Queue saturated", severity=Severity.SEV2, service="job-queue", regions=()
    )
    incident = tx.incidents.add(draft, service_id=service_id, created_by="test", now=NOW)
    return EscalationRecord(
        incident_id=incident.id,
        policy_name="platform",
        policy={"name": "platform", "steps": [], "repeat": 0},
        status=STARTING,
        cycle=0,
        first_cycle=0,
        step=0,
        next_at=NOW,
        started_at=NOW,
    )


def test_an_escalation_added_in_a_transaction_is_found_and_saved_in_it(
    container: Container,
) -> None:
    with container.uow.write() as tx:
        record = _record(tx)
        tx.escalations.add(record, now=NOW)
        assert tx.escalations.due(now=NOW, limit=10) == [record.incident_id]
        found = tx.escalations.find_for_update(record.incident_id)
        assert found is not None
        assert found.policy_name == "platform"
        later = NOW + timedelta(minutes=5)
        tx.escalations.save(replace(found, status=ACTIVE, step=1, next_at=later), now=NOW)

    with container.uow.read() as tx:
        stored = tx.escalations.find_for_update(record.incident_id)
    assert stored is not None
    assert (stored.status, stored.step, stored.next_at) == (ACTIVE, 1, later)


def test_an_escalation_is_written_by_the_commit(container: Container) -> None:
    with container.uow.write() as tx:
        record = _record(tx)
        tx.escalations.add(record, now=NOW)
    with container.uow.read() as tx:
        assert tx.escalations.due(now=NOW, limit=10) == [record.incident_id]
