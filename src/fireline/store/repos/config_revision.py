"""Applied configuration revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fireline.store.tables import ConfigRevisionRow


@dataclass(frozen=True, slots=True)
class AppliedConfig:
    """One applied revision of the configuration, with its text."""

    id: int
    revision: str
    source: str
    content: str
    applied_at: datetime
    applied_by: str


class ConfigRevisionRepo:
    """Configuration revisions in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, *, revision: str, source: str, content: str, applied_by: str, now: datetime
    ) -> int:
        """Record a newly applied revision and return its id."""
        row = ConfigRevisionRow(
            revision=revision,
            source=source,
            content=content,
            applied_at=now,
            applied_by=applied_by,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def latest_id(self) -> int | None:
        """Return the id of the live revision, if any was applied."""
        return self._session.scalar(select(func.max(ConfigRevisionRow.id)))

    def get(self, revision_id: int) -> AppliedConfig:
        """Return one applied revision."""
        row = self._session.get_one(ConfigRevisionRow, revision_id)
        return AppliedConfig(
            row.id, row.revision, row.source, row.content, row.applied_at, row.applied_by
        )
