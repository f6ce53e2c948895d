"""Starting runbook runs: by hand (all steps, or one), dry or real, or automatically when a
matching incident opens (the steps marked auto). Queuing the next step of a run.

A step is stored under a key unique per incident, runbook and step: a step already done (or
doing) for this incident is not queued again, and the timeline says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fireline.domain.configuration import Configuration
from fireline.domain.errors import FirelineError, Invalid
from fireline.domain.incidents.incident import Entry, Incident
from fireline.runbooks.guards import RenderContext, describe, idempotency_key, render_action
from fireline.runbooks.model import Runbook, Step
from fireline.runbooks.repo import RunbookAt
from fireline.services.runbooks.context import context_for
from fireline.services.runbooks.library import repo_for, settings_of
from fireline.services.timeline import append
from fireline.store.repos.runbook_run import RunView, StepRunView
from fireline.store.uow import Tx, UnitOfWork

ACTOR = "fireline:runbook"
ALL, AUTO, ONE = "all", "auto", "step"
RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """What a step would do for this incident, exactly, or why it would not."""

    number: int
    title: str
    does: str | None  # the rendered action in one line; None for a step without an action
    auto: bool
    approval: str | None
    problem: str | None = None  # a template that cannot render here
    done_before: str | None = None  # the status of this step's earlier run for the incident


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A started run (None for a dry run) and the plan of its steps."""

    runbook_id: str
    commit: str
    run: RunView | None
    plan: list[PlannedStep]


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Run runbook `runbook_id` (at commit `at`, HEAD if None) on an incident: every step, or
    only `step`; `dry_run` only says what would be done."""

    incident_id: int
    runbook_id: str
    at: str | None = None
    dry_run: bool = False
    step: int | None = None


def start_run(
    uow: UnitOfWork,
    *,
    config: Configuration | None,
    request: RunRequest,
    actor: str,
    now: datetime,
) -> RunStarted:
    """Plan a runbook for an incident; unless a dry run, queue its first step for the engine."""
    settings = settings_of(config)
    runbook_id, step, dry_run = request.runbook_id, request.step, request.dry_run
    found = repo_for(settings).get(runbook_id, at=request.at)
    steps = [found.runbook.step(step)] if step is not None else list(found.runbook.steps)
    with uow.write() as tx:
        incident = tx.incidents.get_for_update(request.incident_id)
        context = context_for(tx, incident, settings=settings)
        plan = [_plan(tx, incident, found.runbook, s, context) for s in steps]
        where = {"runbook": runbook_id, "commit": found.commit}
        if dry_run:
            lines = [_line(p) for p in plan]
            append(
                tx,
                incident.id,
                entry=Entry("runbook.dry_run", {**where, "plan": lines}),
                actor=actor,
                at=now,
            )
            return RunStarted(runbook_id, found.commit, None, plan)
        run = _begin(tx, incident, found, mode=ALL if step is None else ONE, actor=actor, now=now)
        queue_next(tx, run, found.runbook, after=(step - 1) if step else 0, now=now, first=True)
        return RunStarted(runbook_id, found.commit, run, plan)


def start_auto_run(
    tx: Tx, incident: Incident, *, config: Configuration, labels: dict[str, str], now: datetime
) -> RunView | None:
    """Link the runbook matching an opening incident's alert and run its auto steps."""
    settings = config.runbooks
    if settings is None:
        return None
    try:
        found = repo_for(settings).find_for(labels)
    except FirelineError as error:
        # The alert must not be lost because the runbook repository is broken: say so.
        append(
            tx,
            incident.id,
            entry=Entry("runbook.unavailable", {"reason": error.detail}),
            actor=ACTOR,
            at=now,
        )
        return None
    if found is None:
        return None
    url = runbook_link(found.runbook.id, commit=found.commit)
    tx.incidents.set_runbook_url(incident.id, url)
    append(
        tx,
        incident.id,
        entry=Entry(
            "runbook.linked",
            {
                "runbook": found.runbook.id,
                "commit": found.commit,
                "path": found.runbook.path,
                "url": url,
            },
        ),
        actor=ACTOR,
        at=now,
    )
    if not settings.auto or not found.runbook.auto_steps():
        return None
    run = _begin(tx, incident, found, mode=AUTO, actor=ACTOR, now=now)
    queue_next(tx, run, found.runbook, after=0, now=now, first=True)
    return run


def runbook_link(runbook_id: str, *, commit: str) -> str:
    """The API path that shows a runbook exactly as it was at `commit`."""
    return f"/api/v1/runbooks/{runbook_id}?at={commit}"


def _begin(
    tx: Tx, incident: Incident, found: RunbookAt, *, mode: str, actor: str, now: datetime
) -> RunView:
    run = tx.runbook_runs.add_run(
        incident.id,
        runbook_id=found.runbook.id,
        commit=found.commit,
        status=RUNNING,
        mode=mode,
        dry_run=False,
        started_by=actor[:100],
        now=now,
    )
    append(
        tx,
        incident.id,
        entry=Entry(
            "runbook.run_started",
            {
                "runbook": found.runbook.id,
                "commit": found.commit,
                "run": run.id,
                "mode": mode,
            },
        ),
        actor=actor,
        at=now,
    )
    return run


def queue_next(
    tx: Tx, run: RunView, runbook: Runbook, *, after: int, now: datetime, first: bool = False
) -> bool:
    """Queue the run's next step after step `after`; finish the run when none is left."""
    for step in _candidates(run, runbook, after=after, first=first):
        key = idempotency_key(
            incident_id=run.incident_id, runbook_id=runbook.id, step=step.number, rollback=False
        )
        queued = tx.runbook_runs.add_step(
            run.id,
            incident_id=run.incident_id,
            key=key,
            step=step.number,
            title=step.title,
            action=action_name(runbook, step),
            next_at=now,
        )
        if queued is not None:
            return True
        earlier = tx.runbook_runs.find_step(key)
        if earlier is not None and earlier.status == FAILED and run.mode != AUTO:
            # A person asked for this run: a step that failed before is tried again. What
            # succeeded (or still runs) is never repeated; automation never retries a failure.
            tx.runbook_runs.requeue(earlier.id, run_id=run.id, now=now)
            return True
        append(
            tx,
            run.incident_id,
            entry=Entry(
                "runbook.step_skipped",
                {
                    "runbook": runbook.id,
                    "step": step.number,
                    "title": step.title,
                    "reason": f"already {earlier.status if earlier else 'run'} for this incident",
                },
            ),
            actor=ACTOR,
            at=now,
        )
    tx.runbook_runs.set_run_status(run.id, status=SUCCEEDED, now=now)
    append(
        tx,
        run.incident_id,
        entry=Entry(
            "runbook.run_finished",
            {
                "runbook": runbook.id,
                "run": run.id,
                "status": SUCCEEDED,
            },
        ),
        actor=ACTOR,
        at=now,
    )
    return False


def _candidates(run: RunView, runbook: Runbook, *, after: int, first: bool) -> list[Step]:
    if run.mode == ONE:  # only the step asked for: nothing follows it
        return [s for s in runbook.steps if s.number == after + 1] if first else []
    later = [s for s in runbook.steps if s.number > after]
    if run.mode == AUTO:
        return [s for s in later if s.auto and s.action is not None]
    return later


def action_name(runbook: Runbook, step: Step) -> str:
    """The identity of a step's action across incidents, for its rate limit."""
    return f"{runbook.id}#{step.number}"


def _plan(
    tx: Tx, incident: Incident, runbook: Runbook, step: Step, context: RenderContext
) -> PlannedStep:
    key = idempotency_key(
        incident_id=incident.id, runbook_id=runbook.id, step=step.number, rollback=False
    )
    earlier = tx.runbook_runs.find_step(key)
    does: str | None = None
    problem: str | None = None
    if step.action is not None:
        try:
            does = describe(render_action(step.action, context, field=f"steps[{step.number}]"))
        except Invalid as invalid:
            problem = "; ".join(f"{e.field}: {e.message}" for e in invalid.errors)
    return PlannedStep(
        step.number,
        step.title,
        does,
        step.auto,
        step.approval,
        problem,
        earlier.status if earlier else None,
    )


def _line(plan: PlannedStep) -> dict[str, Any]:
    return {
        "step": plan.number,
        "title": plan.title,
        "would": plan.does or "nothing (prose only)",
        "approval": plan.approval,
        "problem": plan.problem,
        "done_before": plan.done_before,
    }


@dataclass(frozen=True, slots=True)
class RunWithSteps:
    """A run and its step runs."""

    run: RunView
    steps: list[StepRunView]


def incident_runs(uow: UnitOfWork, *, incident_id: int) -> list[RunWithSteps]:
    """The incident's runbook runs, oldest first, each with its steps (NotFound: no incident)."""
    with uow.read() as tx:
        tx.incidents.get(incident_id)
        runs = tx.runbook_runs.runs_for_incident(incident_id)
        steps = tx.runbook_runs.steps_of([r.id for r in runs])
    return [RunWithSteps(r, [s for s in steps if s.run_id == r.id]) for r in runs]
