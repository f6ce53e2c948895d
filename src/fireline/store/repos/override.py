"""On-call overrides: add, list the ones overlapping a window, remove."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.domain.errors import NotFound
from fireline.store.tables import OverrideRow


@dataclass(frozen=True, slots=True)
class OverrideView:
    """One stored override."""

    id: int
    schedule: str
    user: str
    start_at: datetime
    end_at: datetime
    reason: str
    created_by: str
    created_at: datetime
    removed_by: str | None = None
    removed_at: datetime | None = None


def _view(row: OverrideRow) -> OverrideView:
    return OverrideView(
        row.id,
        row.schedule,
        row.user,
        row.start_at,
        row.end_at,
        row.reason,
        row.created_by,
        row.created_at,
        row.removed_by,
        row.removed_at,
    )


class OverrideRepo:
    """Overrides in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        schedule: str,
        *,
        user: str,
        start_at: datetime,
        end_at: datetime,
        reason: str,
        created_by: str,
        now: datetime,
    ) -> OverrideView:
        """Store an override and return it with its id."""
        row = OverrideRow(
            schedule=schedule,
            user=user,
            start_at=start_at,
            end_at=end_at,
            reason=reason,
            created_by=created_by,
            created_at=now,
        )
        self._session.add(row)
        self._session.flush()
        return _view(row)

    def list_(
        self, *, schedule: str | None, start_at: datetime, end_at: datetime
    ) -> list[OverrideView]:
        """Overrides overlapping [start_at, end_at), of one schedule or all, by start."""
        query = select(OverrideRow).where(
            OverrideRow.end_at > start_at,
            OverrideRow.start_at < end_at,
            OverrideRow.removed_at.is_(None),
        )
        if schedule is not None:
            query = query.where(OverrideRow.schedule == schedule)
        rows = self._session.scalars(query.order_by(OverrideRow.start_at, OverrideRow.id))
        return [_view(row) for row in rows]

    def get(self, override_id: int) -> OverrideView:
        """Return one override or raise NotFound."""
        row = self._session.get(OverrideRow, override_id)
        if row is None:
            raise NotFound(f"no override with id {override_id}")
        return _view(row)

    def remove(self, override_id: int, *, removed_by: str, now: datetime) -> OverrideView:
        """Take an override away (its row stays, marked removed); NotFound if none is live."""
        row = self._session.get(OverrideRow, override_id, with_for_update=True)
        if row is None or row.removed_at is not None:
            raise NotFound(f"no override with id {override_id}")
        row.removed_by = removed_by
        row.removed_at = now
        self._session.flush()
        return _view(row)
