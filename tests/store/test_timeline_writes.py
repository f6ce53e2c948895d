"""A transaction's timeline events are written together, in one statement, before it commits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from fireline.domain.incidents.incident import Entry, Incident, IncidentDraft
from fireline.domain.incidents.severity import Severity
from fireline.services.container import Container
from fireline.services.timeline import append
from fireline.store.uow import Tx
from tests.support.fake_clock import FakeClock
from tests.support.statements import rows_of


class _Boom(Exception):
    pass


@pytest.fixture
def timeline_inserts(container: Container) -> Iterator[list[int]]:
    """Record the rows of every INSERT into timeline_events (one entry per statement)."""
    seen: list[int] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, *more: bool
    ) -> None:
        many = bool(more and more[0])
        if statement.lstrip().upper().startswith("INSERT INTO TIMELINE_EVENTS"):
            seen.append(rows_of(params, executemany=many))

    event.listen(container.uow.engine, "before_cursor_execute", record)
    yield seen
    event.remove(container.uow.engine, "before_cursor_execute", record)


def _open(tx: Tx, clock: FakeClock) -> Incident:
    service_id = tx.services.ensure("extraction", now=clock.now())
    draft = IncidentDraft(
        title="Queue saturated", severity=Severity.SEV2, service="extraction", regions=()
    )
    return tx.incidents.add(draft, service_id=service_id, created_by="test", now=clock.now())


def _append(tx: Tx, incident: Incident, clock: FakeClock, count: int) -> None:
    for number in range(count):
        entry = Entry("note.added", {"text": f"note {number}"})
        append(tx, incident.id, entry=entry, actor="test", at=clock.now())


def test_five_appends_are_one_insert_of_five_chained_rows(
    container: Container, clock: FakeClock, timeline_inserts: list[int]
) -> None:
    with container.uow.write() as tx:
        incident = _open(tx, clock)
        _append(tx, incident, clock, 5)
        assert timeline_inserts == []  # nothing written before the commit

    assert timeline_inserts == [5]
    with container.uow.read() as tx:
        events = tx.timeline.list_(incident.id)
        head = tx.incidents.head(incident.id)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert (head.seq, head.hash) == (5, events[-1].hash)


def test_reading_the_timeline_in_the_transaction_sees_what_it_appended(
    container: Container, clock: FakeClock, timeline_inserts: list[int]
) -> None:
    with container.uow.write() as tx:
        incident = _open(tx, clock)
        _append(tx, incident, clock, 2)
        assert [e.data["text"] for e in tx.timeline.list_(incident.id)] == ["note 0", "note 1"]
        _append(tx, incident, clock, 1)
        assert [e.seq for e in tx.timeline.stream(incident.id)] == [1, 2, 3]

    assert timeline_inserts == [2, 1]


def test_a_transaction_that_fails_writes_none_of_its_events(
    container: Container, clock: FakeClock, timeline_inserts: list[int]
) -> None:
    with container.uow.write() as tx:
        incident = _open(tx, clock)

    def append_then_fail() -> None:
        with container.uow.write() as tx:
            _append(tx, incident, clock, 3)
            raise _Boom

    with pytest.raises(_Boom):
        append_then_fail()

    assert timeline_inserts == []
    with container.uow.read() as tx:
        assert tx.timeline.list_(incident.id) == []
        assert tx.incidents.head(incident.id).seq == 0
