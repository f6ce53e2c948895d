"""Request and response bodies of the runbook API: runbooks at a commit, history, runs, steps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from fireline.domain.incidents.ref import format_ref
from fireline.runbooks.model import Action, AppliesTo, Runbook, Step, format_duration
from fireline.runbooks.repo import Revision, RunbookAt
from fireline.services.runbooks.runs import PlannedStep, RunStarted
from fireline.store.repos.runbook_run import RunView, StepRunView
from fireline.web.schemas import Body

MAX_STEP = 100  # the parser's cap on steps per runbook
MASK = "****"
# A header whose name says it carries a credential shows `****` unless its value is a template
# (a template names where the secret comes from, which is not itself a secret).
_SECRET_HEADER = re.compile(r"(?i)authorization|token|secret|passw|api[-_]?key|cookie|signature")


def _plain(value: Any) -> Any:
    """Return action params as JSON: durations as `1m30s`, tuples as lists."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: MASK if _SECRET_HEADER.search(name) and "{{" not in value else value
        for name, value in headers.items()
    }


class ActionRead(BaseModel):
    """What a step does: its kind and params as written (templates unrendered)."""

    kind: str = Field(examples=["http"])
    params: dict[str, Any] = Field(
        examples=[{"method": "POST", "url": "{{ platform.admin_url }}/admin/workers"}]
    )

    @classmethod
    def of(cls, action: Action) -> ActionRead:
        """Render a runbook action; literal credentials in headers are masked."""
        params = _plain(action.params)
        if isinstance(params.get("headers"), dict):
            params["headers"] = _masked_headers(params["headers"])
        return cls(kind=action.kind.value, params=params)


class StepSummary(BaseModel):
    """A step in one line: what kind of action it has and which guards hold it."""

    number: int = Field(description="1-based")
    title: str
    kind: str | None = Field(description="The action's kind; None for a step of prose only")
    auto: bool = Field(description="Runs by itself when a matching incident opens")
    approval: str | None = Field(description="Who must approve it first (`commander`)")

    @classmethod
    def of(cls, step: Step) -> StepSummary:
        """Summarize a runbook step."""
        return cls(
            number=step.number,
            title=step.title,
            kind=None if step.action is None else step.action.kind.value,
            auto=step.auto,
            approval=step.approval,
        )


class RateLimitRead(BaseModel):
    """At most `count` runs of the step per sliding window `per`, across all incidents."""

    count: int
    per: str = Field(examples=["1h"])


class StepRead(StepSummary):
    """A step in full: prose for people, the action and rollback with params, every guard."""

    prose: str
    timeout: str = Field(examples=["5m"])
    rate_limit: RateLimitRead | None
    action: ActionRead | None = Field(description="The action with its params")
    rollback: ActionRead | None = Field(description="What undoes the action if it fails")

    @classmethod
    def of(cls, step: Step) -> StepRead:
        """Render a runbook step."""
        limit = step.rate_limit
        return cls(
            **StepSummary.of(step).model_dump(),
            prose=step.prose,
            timeout=format_duration(step.timeout),
            rate_limit=None
            if limit is None
            else RateLimitRead(count=limit.count, per=format_duration(limit.per)),
            action=None if step.action is None else ActionRead.of(step.action),
            rollback=None if step.rollback is None else ActionRead.of(step.rollback),
        )


class AppliesToRead(BaseModel):
    """Which alerts the runbook is for; both empty: none (it is linked by hand)."""

    alertnames: list[str]
    matchers: list[str] = Field(examples=[['region=~"eu-.*"']])

    @classmethod
    def of(cls, applies_to: AppliesTo) -> AppliesToRead:
        """Render the alert selector."""
        return cls(
            alertnames=list(applies_to.alertnames),
            matchers=[str(m) for m in applies_to.matchers],
        )


class RunbookSummary(BaseModel):
    """A runbook as listed: who owns it, what it applies to, its steps in one line each."""

    id: str
    title: str
    owners: list[str]
    applies_to: AppliesToRead
    path: str = Field(description="The file in the runbook repository")
    commit: str = Field(description="The commit it was read at")
    steps: list[StepSummary]

    @classmethod
    def of(cls, found: RunbookAt) -> RunbookSummary:
        """Summarize a runbook as of its commit."""
        return cls(**_head(found.runbook, found.commit), steps=_summaries(found.runbook))


class RunbookRead(BaseModel):
    """A runbook in full as of one commit: every step with its action, and the Markdown body."""

    id: str
    title: str
    owners: list[str]
    applies_to: AppliesToRead
    path: str
    commit: str
    blob_sha: str = Field(description="The Git blob the runbook was parsed from")
    steps: list[StepRead]
    body: str = Field(description="The Markdown body, for people")

    @classmethod
    def of(cls, found: RunbookAt) -> RunbookRead:
        """Render a runbook as of its commit."""
        runbook = found.runbook
        return cls(
            **_head(runbook, found.commit),
            blob_sha=found.blob_sha,
            steps=[StepRead.of(s) for s in runbook.steps],
            body=runbook.body,
        )


def _head(runbook: Runbook, commit: str) -> dict[str, Any]:
    return {
        "id": runbook.id,
        "title": runbook.title,
        "owners": list(runbook.owners),
        "applies_to": AppliesToRead.of(runbook.applies_to),
        "path": runbook.path,
        "commit": commit,
    }


def _summaries(runbook: Runbook) -> list[StepSummary]:
    return [StepSummary.of(s) for s in runbook.steps]


class RevisionRead(BaseModel):
    """A commit that changed the runbook."""

    commit: str
    author: str
    committed_at: datetime
    message: str
    path: str | None = Field(description="The runbook's file then; None: deleted in this commit")

    @classmethod
    def of(cls, revision: Revision) -> RevisionRead:
        """Render a revision (its fields are this model's)."""
        return cls.model_validate(revision, from_attributes=True)


class RunCreate(Body):
    """Run a runbook on the incident: every step, or only `step`; `dry_run` only plans."""

    runbook: str = Field(
        min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$", examples=["queue-saturation"]
    )
    at: str | None = Field(
        default=None,
        max_length=64,
        description="The commit to run it as of: an id or a prefix of 7+ hex digits (HEAD)",
    )
    dry_run: bool = Field(default=False, description="Say exactly what would be done; do nothing")
    step: int | None = Field(default=None, ge=1, le=MAX_STEP, description="Only this step")


class PlanLine(BaseModel):
    """What one step would do for this incident, exactly (templates rendered, secrets masked)."""

    step: int
    title: str
    does: str | None = Field(
        examples=['POST http://platform/admin/workers {"count": 32}'],
        description="None for a step of prose only",
    )
    auto: bool
    approval: str | None
    problem: str | None = Field(description="Why it cannot run here (a template that fails)")
    done_before: str | None = Field(
        description="The status of this step's earlier run for the incident: it is not repeated"
    )

    @classmethod
    def of(cls, planned: PlannedStep) -> PlanLine:
        """Render a planned step."""
        return cls(
            step=planned.number,
            title=planned.title,
            does=planned.does,
            auto=planned.auto,
            approval=planned.approval,
            problem=planned.problem,
            done_before=planned.done_before,
        )


class StepRunRead(BaseModel):
    """One step of a run, as the engine recorded it."""

    id: int = Field(
        description="Approve or confirm it with POST /api/v1/runbook-steps/{id}/approve"
    )
    run_id: int
    incident: str
    step: int
    title: str
    status: str = Field(
        description="pending, running, waiting_approval, waiting_confirmation, succeeded, failed"
    )
    output: str | None
    approved_by: str | None
    attempts: int
    next_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, view: StepRunView) -> StepRunRead:
        """Render a stored step run."""
        return cls(
            id=view.id,
            run_id=view.run_id,
            incident=format_ref(view.incident_id),
            step=view.step,
            title=view.title,
            status=view.status,
            output=view.output,
            approved_by=view.approved_by,
            attempts=view.attempts,
            next_at=view.next_at,
            started_at=view.started_at,
            finished_at=view.finished_at,
        )


class RunRead(BaseModel):
    """A runbook run on an incident and its steps so far, in the order they were queued."""

    id: int
    incident: str
    runbook: str
    commit: str
    status: str = Field(description="running, succeeded, failed or rolled_back")
    mode: str = Field(description="all, step (one step) or auto (the auto steps)")
    started_by: str
    created_at: datetime
    updated_at: datetime
    steps: list[StepRunRead]

    @classmethod
    def of(cls, run: RunView, steps: list[StepRunView]) -> RunRead:
        """Render a stored run with its step runs."""
        return cls(
            id=run.id,
            incident=format_ref(run.incident_id),
            runbook=run.runbook_id,
            commit=run.commit,
            status=run.status,
            mode=run.mode,
            started_by=run.started_by,
            created_at=run.created_at,
            updated_at=run.updated_at,
            steps=[StepRunRead.of(s) for s in steps if s.run_id == run.id],
        )


class RunStartedRead(BaseModel):
    """The plan of a run, and the run itself unless it was a dry run."""

    runbook: str
    commit: str
    dry_run: bool
    run: RunRead | None = Field(description="None for a dry run: nothing was queued")
    plan: list[PlanLine]

    @classmethod
    def of(cls, started: RunStarted, *, run: RunRead | None) -> RunStartedRead:
        """Render a planned run, or a started one as `run` (read back with its first step)."""
        return cls(
            runbook=started.runbook_id,
            commit=started.commit,
            dry_run=started.run is None,
            run=run,
            plan=[PlanLine.of(p) for p in started.plan],
        )
