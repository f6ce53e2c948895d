"""Heartbeat state: record a beat, find the overdue ones, mark them missed or recovered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fireline.store.tables import HeartbeatRow


@dataclass(frozen=True, slots=True)
class HeartbeatState:
    """What is known of one heartbeat."""

    name: str
    last_seen_at: datetime
    missed_at: datetime | None
    incident_id: int | None


def _state(row: HeartbeatRow) -> HeartbeatState:
    return HeartbeatState(row.name, row.last_seen_at, row.missed_at, row.incident_id)


class HeartbeatRepo:
    """Heartbeats in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def beat(self, name: str, *, now: datetime) -> HeartbeatState:
        """Record that heartbeat `name` arrived now; return its state before this beat."""
        before = self.get_for_update(name)
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._session.execute(
            insert(HeartbeatRow)
            .values(name=name, last_seen_at=now)
            .on_conflict_do_update(
                index_elements=[HeartbeatRow.name],
                set_={"last_seen_at": now, "missed_at": None, "incident_id": None},
            )
        )
        return before or HeartbeatState(name, now, None, None)

    def arm(self, name: str, *, now: datetime) -> HeartbeatState:
        """Start the clock of a heartbeat never seen before; return its (possibly old) state."""
        found = self.get_for_update(name)
        if found is not None:
            return found
        self._session.add(HeartbeatRow(name=name, last_seen_at=now))
        self._session.flush()
        return HeartbeatState(name, now, None, None)

    def get_for_update(self, name: str) -> HeartbeatState | None:
        """Return a heartbeat's state, locking its row."""
        row = self._session.scalar(
            select(HeartbeatRow).where(HeartbeatRow.name == name).with_for_update()
        )
        return None if row is None else _state(row)

    def mark_missed(self, name: str, *, now: datetime, incident_id: int) -> None:
        """Record that the heartbeat is overdue and which incident says so."""
        row = self._session.get_one(HeartbeatRow, name)
        row.missed_at = now
        row.incident_id = incident_id
        self._session.flush()
