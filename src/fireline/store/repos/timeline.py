"""Appends to and reads of the hash-chained timeline; there is no update or delete here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.domain.incidents.timeline import TimelineEvent
from fireline.store.bulk_insert import insert_all
from fireline.store.tables import TimelineEventRow

_TABLE = TimelineEventRow.metadata.tables[TimelineEventRow.__tablename__]


def _to_event(row: TimelineEventRow) -> TimelineEvent:
    return TimelineEvent(
        row.incident_id, row.seq, row.at, row.actor, row.kind, row.data, row.prev_hash, row.hash
    )


class TimelineRepo:
    """Timeline events in one transaction.

    Appended events are written together, in one statement, when the unit of work commits
    (or before anything here reads the timeline): a transaction that appends a hundred events
    sends one INSERT, not a hundred.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._unwritten: list[dict[str, Any]] = []

    def add(self, event: TimelineEvent) -> None:
        """Append one sealed event (written by `write_pending()`)."""
        self._unwritten.append(
            {
                "incident_id": event.incident_id,
                "seq": event.seq,
                "at": event.at,
                "actor": event.actor,
                "kind": event.kind,
                "data": event.data,
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            }
        )

    def write_pending(self) -> None:
        """Write the events `add` appended; the unit of work calls it before commit."""
        if self._unwritten:
            rows, self._unwritten = self._unwritten, []
            insert_all(self._session.connection(), table=_TABLE, rows=rows)

    def list_(
        self, incident_id: int, *, after_seq: int = 0, limit: int = 100
    ) -> list[TimelineEvent]:
        """Return up to `limit` events of one incident after `after_seq`, oldest first."""
        self.write_pending()
        stmt = (
            select(TimelineEventRow)
            .where(TimelineEventRow.incident_id == incident_id, TimelineEventRow.seq > after_seq)
            .order_by(TimelineEventRow.seq)
            .limit(limit)
        )
        return [_to_event(r) for r in self._session.scalars(stmt)]

    def stream(self, incident_id: int | None = None) -> Iterator[TimelineEvent]:
        """Yield every event (of one incident, or all) in chain order, in batches."""
        self.write_pending()
        stmt = select(TimelineEventRow).order_by(
            TimelineEventRow.incident_id, TimelineEventRow.seq, TimelineEventRow.id
        )
        if incident_id is not None:
            stmt = stmt.where(TimelineEventRow.incident_id == incident_id)
        result = self._session.execute(stmt.execution_options(yield_per=2000))
        for row in result.scalars():
            yield _to_event(row)
