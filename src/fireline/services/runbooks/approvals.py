"""People in the loop: a commander approves a step that needs it, or skips a waiting step the
incident does not need; anyone responding confirms a manual step. All are recorded on the
timeline with who did it.
"""

from __future__ import annotations

from datetime import datetime

from fireline.domain.configuration import Configuration
from fireline.domain.errors import Conflict, Forbidden
from fireline.domain.incidents.incident import Entry
from fireline.services.runbooks.library import repo_for, settings_of
from fireline.services.runbooks.runs import queue_next
from fireline.services.runbooks.steps import WAITING_APPROVAL, WAITING_CONFIRMATION
from fireline.services.timeline import append
from fireline.store.repos.runbook_run import PENDING, StepRunView
from fireline.store.uow import UnitOfWork

SKIPPED = "skipped"


def approve_step(
    uow: UnitOfWork, *, step_run_id: int, actor: str, is_commander: bool, now: datetime
) -> StepRunView:
    """Let a waiting step go on: approval needs a commander, confirmation any responder."""
    with uow.write() as tx:
        waiting = tx.runbook_runs.get_step(step_run_id)
        tx.incidents.get_for_update(waiting.incident_id)
        step_run = tx.runbook_runs.get_step(step_run_id, lock=True)
        if step_run.status == WAITING_APPROVAL and not is_commander:
            raise Forbidden("this step waits for the approval of a commander")
        if step_run.status not in (WAITING_APPROVAL, WAITING_CONFIRMATION):
            raise Conflict(f"step run {step_run_id} is {step_run.status}, not waiting for anyone")
        tx.runbook_runs.set_step(step_run_id, status=PENDING, next_at=now, approved_by=actor[:100])
        kind = "runbook.approved" if step_run.status == WAITING_APPROVAL else "runbook.confirmed"
        append(
            tx,
            step_run.incident_id,
            entry=Entry(
                kind,
                {
                    "step": step_run.step,
                    "title": step_run.title,
                    "step_run": step_run_id,
                    "by": actor,
                },
            ),
            actor=actor,
            at=now,
        )
        return tx.runbook_runs.get_step(step_run_id)


def skip_step(
    uow: UnitOfWork, *, config: Configuration | None, step_run_id: int, actor: str, now: datetime
) -> StepRunView:
    """A commander decides a waiting step is not needed: it is skipped and the run goes on."""
    with uow.read() as tx:
        run = tx.runbook_runs.get_run(tx.runbook_runs.get_step(step_run_id).run_id)
    runbook = repo_for(settings_of(config)).get(run.runbook_id, at=run.commit).runbook
    with uow.write() as tx:
        tx.incidents.get_for_update(run.incident_id)
        step_run = tx.runbook_runs.get_step(step_run_id, lock=True)
        if step_run.status not in (WAITING_APPROVAL, WAITING_CONFIRMATION):
            raise Conflict(f"step run {step_run_id} is {step_run.status}, not waiting for anyone")
        tx.runbook_runs.set_step(
            step_run_id,
            status=SKIPPED,
            lease_until=None,
            finished_at=now,
            output=f"skipped by {actor}",
        )
        append(
            tx,
            run.incident_id,
            entry=Entry(
                "runbook.step_skipped",
                {
                    "runbook": run.runbook_id,
                    "step": step_run.step,
                    "title": step_run.title,
                    "step_run": step_run_id,
                    "reason": f"skipped by {actor}",
                },
            ),
            actor=actor,
            at=now,
        )
        queue_next(tx, run, runbook, after=step_run.step, now=now)
        return tx.runbook_runs.get_step(step_run_id)
