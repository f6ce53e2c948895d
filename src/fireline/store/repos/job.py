"""Links between incidents and job IDs: bulk, idempotent inserts and keyset pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fireline.domain.jobs import JobLink
from fireline.store.tables import IncidentJobRow

# SQLite allows 32,766 bound parameters per statement; stay well inside it.
_CHUNK = 5_000


class JobRepo:
    """Incident–job links in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def count(self, incident_id: int) -> int:
        """Return how many jobs are linked to the incident."""
        stmt = select(func.count()).where(IncidentJobRow.incident_id == incident_id)
        return int(self._session.scalar(stmt) or 0)

    def link(self, incident_id: int, job_ids: Sequence[str], *, actor: str, now: datetime) -> int:
        """Link the job IDs, skipping ones already linked; return how many were new."""
        before = self.count(incident_id)
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(IncidentJobRow).on_conflict_do_nothing()
        for start in range(0, len(job_ids), _CHUNK):
            rows = [
                {"incident_id": incident_id, "job_id": j, "linked_at": now, "linked_by": actor}
                for j in job_ids[start : start + _CHUNK]
            ]
            self._session.execute(stmt, rows)
        return self.count(incident_id) - before

    def unlink(self, incident_id: int, job_ids: Sequence[str]) -> int:
        """Remove the links to these job IDs; return how many existed."""
        removed = 0
        for start in range(0, len(job_ids), _CHUNK):
            result = self._session.execute(
                delete(IncidentJobRow).where(
                    IncidentJobRow.incident_id == incident_id,
                    IncidentJobRow.job_id.in_(job_ids[start : start + _CHUNK]),
                )
            )
            removed += int(result.rowcount)  # type: ignore[attr-defined]
        return removed

    def list_(self, incident_id: int, *, after: str | None, limit: int) -> list[JobLink]:
        """Return up to `limit` links of one incident in job-ID order, after job ID `after`."""
        stmt = select(IncidentJobRow).where(IncidentJobRow.incident_id == incident_id)
        if after is not None:
            stmt = stmt.where(IncidentJobRow.job_id > after)
        stmt = stmt.order_by(IncidentJobRow.job_id).limit(limit)
        return [
            JobLink(r.incident_id, r.job_id, r.linked_at, r.linked_by)
            for r in self._session.scalars(stmt)
        ]

    def incidents_for(self, job_id: str) -> list[int]:
        """Return the ids of the incidents a job is linked to, newest first."""
        stmt = (
            select(IncidentJobRow.incident_id)
            .where(IncidentJobRow.job_id == job_id)
            .order_by(IncidentJobRow.incident_id.desc())
        )
        return list(self._session.scalars(stmt))
