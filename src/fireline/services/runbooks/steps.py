"""Running due runbook steps in the engine, under guards, and recording every outcome.

Per step: approval (`approval: commander` waits for a commander), manual steps wait for a
person, the action's rate limit across incidents, then the action itself with its timeout,
outside any transaction. `wait_until` polls until its condition holds or its timeout passes.
A failure runs the step's rollback. A step whose engine died while it ran is resumed when its
action only reads (queries, waits), and otherwise marked failed: it is never run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fireline.domain.automation import ActionResult
from fireline.domain.configuration import Configuration, RunbookSettings
from fireline.domain.errors import Invalid
from fireline.domain.incidents.incident import Entry
from fireline.runbooks.guards import (
    RenderedAction,
    describe,
    mask_secrets,
    render_action,
    secrets_of,
)
from fireline.runbooks.model import Action, ActionKind, Runbook, Step
from fireline.services.runbooks.context import context_for
from fireline.services.runbooks.library import repo_for
from fireline.services.runbooks.notify import queue_notification
from fireline.services.runbooks.runner import ActionRunner
from fireline.services.runbooks.runs import ACTOR, FAILED, action_name, queue_next
from fireline.services.timeline import append
from fireline.store.repos.runbook_run import PENDING, StepRunView
from fireline.store.uow import Tx, UnitOfWork

BATCH = 10
CLAIM_LEASE = timedelta(minutes=1)
READ_ONLY = frozenset({ActionKind.PROMETHEUS_QUERY, ActionKind.WAIT_UNTIL, ActionKind.MANUAL})
WAITING_APPROVAL = "waiting_approval"
WAITING_CONFIRMATION = "waiting_confirmation"
SUCCEEDED = "succeeded"


@dataclass(frozen=True, slots=True)
class _Job:
    """A claimed step, what it is, and its rendered action (when it is the runner's to do)."""

    claimed: StepRunView
    runbook: Runbook
    step: Step
    rollback: bool
    rendered: RenderedAction | None = None
    deadline_at: datetime | None = None  # when a wait_until stops polling


def run_due_steps(
    uow: UnitOfWork,
    *,
    config: Configuration,
    runner: ActionRunner,
    now: datetime,
    grace: timedelta,
) -> int:
    """Recover interrupted steps, then run every due step once; return how many moved."""
    settings = config.runbooks
    if settings is None:
        return 0
    moved = _recover(uow, settings, now=now)
    with uow.read() as tx:
        if not tx.runbook_runs.any_due(now=now):
            return moved
    with uow.write() as tx:
        claimed = tx.runbook_runs.claim(now=now, lease_until=now + CLAIM_LEASE, limit=BATCH)
    for step_run in claimed:
        job = _prepare(uow, step_run, config=config, now=now, grace=grace)
        if job is not None and job.rendered is not None:
            result = runner.run(job.rendered, settings=settings, timeout=job.step.timeout)
            _settle(uow, job, result, now=now)
    return moved + len(claimed)


def _load(uow: UnitOfWork, step_run: StepRunView, settings: RunbookSettings) -> _Job:
    with uow.read() as tx:
        run = tx.runbook_runs.get_run(step_run.run_id)
    found = repo_for(settings).get(run.runbook_id, at=run.commit)
    rollback = step_run.key.endswith(":rollback")
    return _Job(step_run, found.runbook, found.runbook.step(step_run.step), rollback)


def _action(job: _Job) -> Action | None:
    return job.step.rollback if job.rollback else job.step.action


def _prepare(
    uow: UnitOfWork,
    step_run: StepRunView,
    *,
    config: Configuration,
    now: datetime,
    grace: timedelta,
) -> _Job | None:
    """Apply the guards in one transaction; return the job if the runner must act now."""
    settings = config.runbooks
    assert settings is not None  # checked by run_due_steps
    job = _load(uow, step_run, settings)
    action = _action(job)
    with uow.write() as tx:
        incident = tx.incidents.get_for_update(step_run.incident_id)
        if job.step.approval and not step_run.approved_by and not job.rollback:
            _wait(tx, job, WAITING_APPROVAL, f"needs the approval of a {job.step.approval}", now)
            return None
        if action is None or action.kind is ActionKind.MANUAL:
            if step_run.approved_by:  # confirmed by a person
                _finish(tx, job, ActionResult.done(f"confirmed by {step_run.approved_by}"), now)
            else:
                _wait(tx, job, WAITING_CONFIRMATION, _instructions(job.step, action), now)
            return None
        if _rate_limited(tx, job, now=now):
            return None
        try:
            rendered = render_action(
                action,
                context_for(tx, incident, settings=settings),
                field=f"steps[{job.step.number}]",
            )
        except Invalid as invalid:
            problems = "; ".join(f"{e.field}: {e.message}" for e in invalid.errors)
            _finish(tx, job, ActionResult.failed(f"cannot render: {problems}"), now)
            return None
        if rendered.kind is ActionKind.NOTIFY:
            said = queue_notification(
                tx, incident, rendered, oncall=config.oncall, key=step_run.key, now=now
            )
            _finish(tx, job, said, now)
            return None
        deadline = _start(tx, job, rendered, now=now, grace=grace)
        return _Job(step_run, job.runbook, job.step, job.rollback, rendered, deadline)


def _start(
    tx: Tx, job: _Job, rendered: RenderedAction, *, now: datetime, grace: timedelta
) -> datetime | None:
    """Record that the action starts (its lease, its deadline); return the deadline."""
    first = job.claimed.deadline_at is None
    deadline = job.claimed.deadline_at
    if rendered.kind is ActionKind.WAIT_UNTIL and deadline is None:
        deadline = now + rendered.params["timeout"]
    tx.runbook_runs.set_step(
        job.claimed.id,
        lease_until=now + job.step.timeout + grace,
        deadline_at=deadline,
        started_at=job.claimed.started_at or now,
    )
    if first:
        _event(
            tx,
            job,
            "runbook.step_started",
            {"does": describe(rendered, secrets=secrets_of(rendered))},
            now,
        )
    return deadline


def _settle(uow: UnitOfWork, job: _Job, result: ActionResult, *, now: datetime) -> None:
    rendered = job.rendered
    assert rendered is not None
    output = mask_secrets(result.output, secrets_of(rendered))
    with uow.write() as tx:
        tx.incidents.get_for_update(job.claimed.incident_id)
        deadline = job.deadline_at if rendered.kind is ActionKind.WAIT_UNTIL else None
        if deadline is not None and not result.ok and now < deadline:
            interval: timedelta = rendered.params["interval"]
            tx.runbook_runs.set_step(
                job.claimed.id,
                status=PENDING,
                next_at=now + interval,
                lease_until=None,
                output=output,
            )
            return
        _finish(tx, job, ActionResult(result.ok, output, result.value), now)


def _finish(tx: Tx, job: _Job, result: ActionResult, now: datetime) -> None:
    """Record the step's outcome; go on with the run, or fail it (running the rollback)."""
    status = SUCCEEDED if result.ok else FAILED
    tx.runbook_runs.set_step(
        job.claimed.id, status=status, output=result.output, lease_until=None, finished_at=now
    )
    kind = "runbook.rollback" if job.rollback else f"runbook.step_{status}"
    _event(tx, job, kind, {"output": result.output}, now)
    with_run = tx.runbook_runs.get_run(job.claimed.run_id)
    if job.rollback:
        tx.runbook_runs.set_run_status(
            with_run.id, status="rolled_back" if result.ok else FAILED, now=now
        )
        return
    if result.ok:
        queue_next(tx, with_run, job.runbook, after=job.step.number, now=now)
        return
    tx.runbook_runs.set_run_status(with_run.id, status=FAILED, now=now)
    if job.step.rollback is not None:
        key = job.claimed.key.removesuffix(":run") + ":rollback"
        tx.runbook_runs.add_step(
            with_run.id,
            incident_id=with_run.incident_id,
            key=key,
            step=job.step.number,
            title=f"Roll back: {job.step.title}",
            action=action_name(job.runbook, job.step) + ":rollback",
            next_at=now,
        )


def _wait(tx: Tx, job: _Job, status: str, why: str, now: datetime) -> None:
    tx.runbook_runs.set_step(job.claimed.id, status=status, lease_until=None)
    kind = (
        "runbook.approval_needed" if status == WAITING_APPROVAL else "runbook.confirmation_needed"
    )
    _event(tx, job, kind, {"why": why, "step_run": job.claimed.id}, now)


def _instructions(step: Step, action: Action | None) -> str:
    if action is not None and action.kind is ActionKind.MANUAL:
        return str(action.params.get("instructions", step.title))
    return step.prose or step.title


def _rate_limited(tx: Tx, job: _Job, *, now: datetime) -> bool:
    limit = job.step.rate_limit
    if limit is None or job.rollback:
        return False
    recent = tx.runbook_runs.started_since(job.claimed.action, since=now - limit.per)
    if limit.allows(recent=recent, now=now):
        return False
    until = limit.next_allowed(recent=recent, now=now)
    tx.runbook_runs.set_step(job.claimed.id, status=PENDING, next_at=until, lease_until=None)
    if job.claimed.attempts == 1:
        _event(tx, job, "runbook.rate_limited", {"until": until.isoformat()}, now)
    return True


def _recover(uow: UnitOfWork, settings: RunbookSettings, *, now: datetime) -> int:
    """Steps whose engine died mid-run: resume the read-only ones, fail the others."""
    with uow.read() as tx:
        stuck = tx.runbook_runs.interrupted(now=now, limit=BATCH)
    for step_run in stuck:
        job = _load(uow, step_run, settings)
        action = _action(job)
        with uow.write() as tx:
            tx.incidents.get_for_update(step_run.incident_id)
            current = tx.runbook_runs.get_step(step_run.id, lock=True)
            if current.status != "running" or (current.lease_until or now) > now:
                continue
            if action is None or action.kind in READ_ONLY:
                tx.runbook_runs.set_step(step_run.id, status=PENDING, next_at=now, lease_until=None)
                _event(
                    tx,
                    job,
                    "runbook.step_resumed",
                    {"why": "its engine stopped; it only reads"},
                    now,
                )
                continue
            said = (
                "interrupted: the engine stopped while this step ran, so whether it took "
                "effect is unknown; it is not run again — check by hand"
            )
            _finish(tx, job, ActionResult.failed(said), now)
    return len(stuck)


def _event(tx: Tx, job: _Job, kind: str, extra: dict[str, Any], now: datetime) -> None:
    data = {"runbook": job.runbook.id, "step": job.step.number, "title": job.step.title, **extra}
    append(tx, job.claimed.incident_id, entry=Entry(kind, data), actor=ACTOR, at=now)
