"""Which incident each new alert belongs to is written in one statement per transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from fireline.domain.alerts.alert import AlertAction, AlertIn, make_alert
from fireline.domain.incidents.incident import Incident, IncidentDraft
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status
from fireline.services.container import Container
from fireline.store.repos.alert import Firing, StoredAlert
from fireline.store.uow import Tx
from tests.support.fake_clock import FakeClock
from tests.support.statements import rows_of


@pytest.fixture
def attaching(container: Container) -> Iterator[list[int]]:
    """Record the rows of every UPDATE of alerts' incident (one entry per statement)."""
    seen: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *more: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ALERTS SET INCIDENT_ID"):
            seen.append(rows_of(params, executemany=more[-1]))

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
    return tx.alerts.upsert_firing([_firing(clock, instance)])[0]


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


@pytest.fixture
def upserts(container: Container) -> Iterator[list[str]]:
    """Record every alert upsert statement sent to the database."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_more: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ALERTS"):
            seen.append(statement)

    event.listen(container.uow.engine, "before_cursor_execute", record)
    yield seen
    event.remove(container.uow.engine, "before_cursor_execute", record)


def _firing(clock: FakeClock, instance: str) -> Firing:
    return Firing(
        _alert(instance),
        integration="prometheus",
        dedup_key=instance,
        service="storage",
        group_key="storage/DiskFull",
        now=clock.now(),
    )


def test_many_alerts_are_upserted_together_and_answered_in_the_order_given(
    container: Container, clock: FakeClock, upserts: list[str]
) -> None:
    with container.uow.write() as tx:
        first = tx.alerts.upsert_firing([_firing(clock, i) for i in ("c", "a", "b")])
    assert len(upserts) == 1
    assert [s.occurrences for s in first] == [1, 1, 1]
    assert len({s.id for s in first}) == 3

    upserts.clear()
    # A storm: one key thrice in one call takes three rounds, each key at most once a round.
    keys = ["a", "d", "a", "b", "a"]
    with container.uow.write() as tx:
        second = tx.alerts.upsert_firing([_firing(clock, i) for i in keys])
    assert len(upserts) == 3
    by_key = {k: s.id for k, s in zip(("c", "a", "b"), first, strict=True)}
    assert [s.occurrences for s in second] == [2, 1, 3, 2, 4]
    assert [s.id for s in second if s.occurrences > 1] == [by_key[k] for k in ("a", "a", "b", "a")]
    with container.uow.read() as tx:
        assert tx.alerts.count(status="firing") == 4


def test_open_incidents_of_many_groups_are_found_in_one_query(
    container: Container, clock: FakeClock
) -> None:
    with container.uow.write() as tx:
        service_id = tx.services.ensure("storage", now=clock.now())
        opened = {}
        for key in ("storage/b", "storage/a", "storage/closed"):
            draft = IncidentDraft(title=key, severity=Severity.SEV3, service="storage", regions=())
            incident = tx.incidents.add_grouped(
                draft,
                service_id=service_id,
                created_by="test",
                now=clock.now(),
                group_key=key,
                runbook_url=None,
            )
            assert incident is not None
            opened[key] = incident
    with container.uow.write() as tx:
        closed = opened["storage/closed"]
        tx.incidents.update(
            replace(closed, status=Status.RESOLVED, version=2),
            expected_version=1,
            head=tx.incidents.head(closed.id),
        )
    with container.uow.write() as tx:
        found = tx.incidents.find_open_by_group_keys_for_update(
            ["storage/a", "storage/missing", "storage/b", "storage/closed", "storage/a"]
        )
    assert {k: i.id for k, i in found.items()} == {
        "storage/a": opened["storage/a"].id,
        "storage/b": opened["storage/b"].id,
    }
    assert found["storage/a"].service == "storage"


def test_every_field_is_stored_and_a_repeat_updates_what_changed(
    container: Container, clock: FakeClock, upserts: list[str]
) -> None:
    starts = clock.now() - timedelta(minutes=5)
    alert = make_alert(
        action=AlertAction.FIRE,
        labels={"alertname": "DiskFull", "instance": "a", "region": "eu-west-1"},
        summary="disk full on a",
        source="alertmanager",
        annotations={"runbook_url": "https://runbooks/disk", "note": "é ✓ \u2028"},
        severity="critical",
        starts_at=starts,
        generator_url="http://prometheus:9090/graph?g0.expr=x",
        details={"fingerprint": "abc", "nested": {"n": [1, None, True]}},
    )
    firing = replace(_firing(clock, "a"), alert=alert)
    with container.uow.write() as tx:
        incident = _open(tx, clock)
        tx.alerts.attach(tx.alerts.upsert_firing([firing])[0].id, incident.id)
    clock.advance(minutes=1)
    later = clock.now()
    ended = replace(
        alert, summary="disk still full on a", annotations={}, severity=None, ends_at=later
    )
    with container.uow.write() as tx:
        [again] = tx.alerts.upsert_firing([replace(firing, alert=ended, now=later)])
    assert (again.occurrences, again.incident_id) == (2, incident.id)
    with container.uow.read() as tx:
        [view] = tx.alerts.list_for_incident(incident.id, limit=10)
    assert (view.integration, view.dedup_key, view.status, view.source) == (
        "prometheus",
        "a",
        "firing",
        "alertmanager",
    )
    assert (view.summary, view.severity, view.annotations) == ("disk still full on a", None, {})
    assert view.labels == alert.labels
    assert view.generator_url == alert.generator_url
    assert (view.starts_at, view.ends_at) == (starts, later)
    assert (view.first_seen_at, view.last_seen_at, view.occurrences) == (firing.now, later, 2)
    assert len(upserts) == 2
