"""Escalation rows: the snapshotted policy of each incident and its next timer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fireline.store.bulk_insert import insert_all
from fireline.store.db import work_queued
from fireline.store.tables import EscalationRow

STARTING = "starting"
ACTIVE = "active"
DUE = (STARTING, ACTIVE)

# Statements of the engine's hot paths, built once (it asks for due timers after every commit).
_T = EscalationRow.metadata.tables[EscalationRow.__tablename__]
_DUE = (
    select(_T.c.incident_id)
    .where(_T.c.status.in_(DUE), _T.c.next_at <= bindparam("now"))
    .order_by(_T.c.next_at)
    .limit(bindparam("limit"))
)


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """One incident's escalation as stored."""

    incident_id: int
    policy_name: str
    policy: dict[str, Any]
    status: str
    cycle: int
    first_cycle: int
    step: int
    next_at: datetime | None
    started_at: datetime


def _record(row: EscalationRow) -> EscalationRecord:
    return EscalationRecord(
        incident_id=row.incident_id,
        policy_name=row.policy_name,
        policy=dict(row.policy),
        status=row.status,
        cycle=row.cycle,
        first_cycle=row.first_cycle,
        step=row.step,
        next_at=row.next_at,
        started_at=row.started_at,
    )


class EscalationRepo:
    """Escalations in one transaction. Lock order: the incident first, then its escalation."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # Snapshots `add`ed but not yet written: one INSERT for the whole transaction, sent by
        # `write_pending()` before the commit or before anything here reads escalations.
        self._unwritten: list[dict[str, Any]] = []

    def write_pending(self) -> None:
        """Write what `add` recorded; the unit of work calls it before commit."""
        if self._unwritten:
            rows, self._unwritten = self._unwritten, []
            insert_all(self._session.connection(), table=_T, rows=rows)

    def add(self, record: EscalationRecord, *, now: datetime) -> None:
        """Snapshot an incident's policy and the state its first step left it in."""
        self._unwritten.append(
            {
                "incident_id": record.incident_id,
                "policy_name": record.policy_name,
                "policy": record.policy,
                "status": record.status,
                "cycle": record.cycle,
                "first_cycle": record.first_cycle,
                "step": record.step,
                "next_at": record.next_at,
                "started_at": record.started_at,
                "updated_at": now,
            }
        )

    def find_for_update(self, incident_id: int) -> EscalationRecord | None:
        """Return the incident's escalation, locking it (None if it has none)."""
        self.write_pending()
        row = self._session.scalar(
            select(EscalationRow).where(EscalationRow.incident_id == incident_id).with_for_update()
        )
        return None if row is None else _record(row)

    def due(self, *, now: datetime, limit: int) -> list[int]:
        """Incidents whose escalation timer has fired, oldest timer first (no lock taken)."""
        self.write_pending()
        rows = self._session.connection().execute(_DUE, {"now": now, "limit": limit})
        return [row[0] for row in rows]

    def save(self, record: EscalationRecord, *, now: datetime) -> None:
        """Write the escalation's new state (the caller holds its lock)."""
        self.write_pending()
        row = self._session.get_one(EscalationRow, record.incident_id)
        row.status = record.status
        row.cycle = record.cycle
        row.first_cycle = record.first_cycle
        row.step = record.step
        row.next_at = record.next_at
        row.started_at = record.started_at
        row.updated_at = now
        self._session.flush()
        if record.next_at is not None and record.next_at <= now:
            work_queued(self._session)  # a timer due now; later ones are found by polling
