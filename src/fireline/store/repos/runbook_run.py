"""Runbook runs and step runs: create once per incident and step, claim, finish, list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fireline.domain.errors import NotFound
from fireline.store.db import work_queued
from fireline.store.tables import RunbookRunRow, RunbookStepRunRow

PENDING = "pending"
RUNNING = "running"


@dataclass(frozen=True, slots=True)
class RunView:
    """A runbook run as stored."""

    id: int
    incident_id: int
    runbook_id: str
    commit: str
    status: str
    mode: str
    dry_run: bool
    started_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StepRunView:
    """A step run as stored."""

    id: int
    run_id: int
    incident_id: int
    key: str
    step: int
    title: str
    action: str
    status: str
    next_at: datetime | None
    lease_until: datetime | None
    deadline_at: datetime | None
    attempts: int
    output: str | None
    approved_by: str | None
    started_at: datetime | None
    finished_at: datetime | None


def _run(row: RunbookRunRow) -> RunView:
    return RunView(
        row.id,
        row.incident_id,
        row.runbook_id,
        row.commit,
        row.status,
        row.mode,
        row.dry_run,
        row.started_by,
        row.created_at,
        row.updated_at,
    )


def _step(row: RunbookStepRunRow) -> StepRunView:
    return StepRunView(
        row.id,
        row.run_id,
        row.incident_id,
        row.key,
        row.step,
        row.title,
        row.action,
        row.status,
        row.next_at,
        row.lease_until,
        row.deadline_at,
        row.attempts,
        row.output,
        row.approved_by,
        row.started_at,
        row.finished_at,
    )


class RunbookRunRepo:
    """Runbook runs in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_run(
        self,
        incident_id: int,
        *,
        runbook_id: str,
        commit: str,
        status: str,
        mode: str,
        dry_run: bool,
        started_by: str,
        now: datetime,
    ) -> RunView:
        """Store a new run."""
        row = RunbookRunRow(
            incident_id=incident_id,
            runbook_id=runbook_id,
            commit=commit,
            status=status,
            mode=mode,
            dry_run=dry_run,
            started_by=started_by,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        self._session.flush()
        return _run(row)

    def add_step(
        self,
        run_id: int,
        *,
        incident_id: int,
        key: str,
        step: int,
        title: str,
        action: str,
        next_at: datetime,
    ) -> StepRunView | None:
        """Queue a step unless its key exists (done or doing for this incident): then None."""
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        values: dict[str, Any] = {
            "run_id": run_id,
            "incident_id": incident_id,
            "key": key,
            "step": step,
            "title": title[:200],
            "action": action[:200],
            "status": PENDING,
            "next_at": next_at,
            "attempts": 0,
        }
        statement = (
            insert(RunbookStepRunRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[RunbookStepRunRow.key])
            .returning(RunbookStepRunRow.id)
        )
        new_id = self._session.scalar(statement)
        if new_id is None:
            return None
        work_queued(self._session)
        return self.get_step(new_id)

    def requeue(self, step_id: int, *, run_id: int, now: datetime) -> None:
        """Give a failed step run a fresh start in another run (a person asked for it)."""
        self.set_step(
            step_id,
            run_id=run_id,
            status=PENDING,
            next_at=now,
            lease_until=None,
            deadline_at=None,
            attempts=0,
            output=None,
            approved_by=None,
            started_at=None,
            finished_at=None,
        )

    def find_step(self, key: str) -> StepRunView | None:
        """Return the step run with `key`, if any."""
        row = self._session.scalar(select(RunbookStepRunRow).where(RunbookStepRunRow.key == key))
        return None if row is None else _step(row)

    def get_step(self, step_id: int, *, lock: bool = False) -> StepRunView:
        """Return one step run (NotFound if none), locking it when asked."""
        query = select(RunbookStepRunRow).where(RunbookStepRunRow.id == step_id)
        row = self._session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFound(f"no runbook step run {step_id}")
        return _step(row)

    def get_run(self, run_id: int) -> RunView:
        """Return one run (NotFound if none)."""
        row = self._session.get(RunbookRunRow, run_id)
        if row is None:
            raise NotFound(f"no runbook run {run_id}")
        return _run(row)

    def any_due(self, *, now: datetime) -> bool:
        """Tell, without locking anything, whether a claim now would find a step."""
        found = self._session.scalar(
            select(RunbookStepRunRow.id)
            .where(RunbookStepRunRow.status == PENDING, RunbookStepRunRow.next_at <= now)
            .limit(1)
        )
        return found is not None

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[StepRunView]:
        """Lease due pending steps (SKIP LOCKED) and mark them running (`started_at` is set
        by the caller when the action really starts, after the guards)."""
        rows = self._session.scalars(
            select(RunbookStepRunRow)
            .where(RunbookStepRunRow.status == PENDING, RunbookStepRunRow.next_at <= now)
            .order_by(RunbookStepRunRow.next_at, RunbookStepRunRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.status = RUNNING
            row.lease_until = lease_until
            row.attempts += 1
        self._session.flush()
        return [_step(row) for row in rows]

    def interrupted(self, *, now: datetime, limit: int) -> list[StepRunView]:
        """Running steps whose lease ran out (their engine died), locked (SKIP LOCKED)."""
        rows = self._session.scalars(
            select(RunbookStepRunRow)
            .where(RunbookStepRunRow.status == RUNNING, RunbookStepRunRow.lease_until <= now)
            .order_by(RunbookStepRunRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [_step(row) for row in rows]

    def set_step(self, step_id: int, **values: Any) -> None:
        """Change a step run's columns (status, next_at, output, deadline_at, ...)."""
        self._session.execute(
            update(RunbookStepRunRow).where(RunbookStepRunRow.id == step_id).values(**values)
        )
        if values.get("status") == PENDING:
            work_queued(self._session)

    def set_run_status(self, run_id: int, *, status: str, now: datetime) -> None:
        """Change a run's status."""
        self._session.execute(
            update(RunbookRunRow)
            .where(RunbookRunRow.id == run_id)
            .values(status=status, updated_at=now)
        )

    def runs_for_incident(self, incident_id: int) -> list[RunView]:
        """The incident's runs, oldest first."""
        rows = self._session.scalars(
            select(RunbookRunRow)
            .where(RunbookRunRow.incident_id == incident_id)
            .order_by(RunbookRunRow.id)
        )
        return [_run(row) for row in rows]

    def steps_of(self, run_ids: Sequence[int]) -> list[StepRunView]:
        """The step runs of the given runs, by run then step."""
        rows = self._session.scalars(
            select(RunbookStepRunRow)
            .where(RunbookStepRunRow.run_id.in_(list(run_ids)))
            .order_by(RunbookStepRunRow.run_id, RunbookStepRunRow.step)
        )
        return [_step(row) for row in rows]

    def started_since(self, action: str, *, since: datetime) -> list[datetime]:
        """When steps with this action started, across incidents (for rate limits)."""
        rows = self._session.scalars(
            select(RunbookStepRunRow.started_at).where(
                RunbookStepRunRow.action == action, RunbookStepRunRow.started_at >= since
            )
        )
        return [at for at in rows if at is not None]

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name
