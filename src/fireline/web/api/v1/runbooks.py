"""/api/v1 runbooks: the runbook library at any commit and its history, runs on incidents
(dry or real, every step or one), and approving or confirming the steps that wait for a person.

Runbooks are read from the Git repository named by the live configuration's `runbooks:`
section; without one, every runbook route answers 404 saying how to add it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from fireline.domain.access.role import AccessRole
from fireline.domain.access.token import Principal
from fireline.domain.incidents.ref import format_ref, parse_ref
from fireline.services.runbooks.approvals import approve_step, skip_step
from fireline.services.runbooks.library import list_runbooks, runbook_history, show_runbook
from fireline.services.runbooks.runs import RunRequest, incident_runs, start_run
from fireline.store.uow import UnitOfWork
from fireline.web import auth
from fireline.web.api.v1.runbook_schemas import (
    RevisionRead,
    RunbookRead,
    RunbookSummary,
    RunCreate,
    RunRead,
    RunStartedRead,
    StepRunRead,
)
from fireline.web.deps import container_of
from fireline.web.schemas import API

router = APIRouter(prefix=API, tags=["runbooks"])

Viewer = Annotated[Principal, Depends(auth.viewer)]
Responder = Annotated[Principal, Depends(auth.responder)]
Commander = Annotated[Principal, Depends(auth.commander)]
At = Annotated[
    str | None,
    Query(
        max_length=64,
        description="A commit id, or a prefix of 7+ hex digits (default: HEAD)",
        examples=["3f2a9c1"],
    ),
]
MAX_ID = 2**63 - 1  # ids are BIGINT on PostgreSQL
MARKDOWN = "text/markdown; charset=utf-8"


@router.get("/runbooks", response_model=list[RunbookSummary])
def list_(request: Request, _who: Viewer, at: At = None) -> list[RunbookSummary]:
    """Every runbook at commit `at` (HEAD by default), by path, with its steps in brief."""
    config = container_of(request).live_config.current()
    return [RunbookSummary.of(found) for found in list_runbooks(config, at=at)]


@router.get(
    "/runbooks/{runbook_id}",
    response_model=RunbookRead,
    responses={200: {"content": {"text/markdown": {}}}},
)
def show(runbook_id: str, request: Request, _who: Viewer, at: At = None) -> RunbookRead | Response:
    """One runbook exactly as it was at commit `at` (HEAD by default).

    JSON by default; with `Accept: text/markdown`, only its Markdown body.
    """
    found = show_runbook(container_of(request).live_config.current(), runbook_id, at=at)
    if "text/markdown" in request.headers.get("accept", ""):
        return Response(found.runbook.body, media_type=MARKDOWN, headers={"X-Commit": found.commit})
    return RunbookRead.of(found)


@router.get("/runbooks/{runbook_id}/history", response_model=list[RevisionRead])
def history(
    runbook_id: str,
    request: Request,
    _who: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RevisionRead]:
    """The commits that changed the runbook (followed by its id across renames), newest first."""
    config = container_of(request).live_config.current()
    return [RevisionRead.of(r) for r in runbook_history(config, runbook_id, limit=limit)]


@router.post(
    "/incidents/{ref}/runbook-runs",
    status_code=201,
    response_model=RunStartedRead,
    responses={200: {"description": "A dry run: the plan only; nothing was queued"}},
)
def start(
    ref: str, body: RunCreate, request: Request, response: Response, who: Responder
) -> RunStartedRead:
    """Run a runbook on the incident (201), or with `dry_run` only say what it would do (200).

    The engine runs the steps one after another; a step already done for this incident is
    skipped, and steps that need a person wait for `POST /runbook-steps/{id}/approve`.
    """
    c = container_of(request)
    incident_id = parse_ref(ref)
    started = start_run(
        c.uow,
        config=c.live_config.current(),
        request=RunRequest(incident_id, body.runbook, body.at, body.dry_run, body.step),
        actor=who.name,
        now=c.clock.now(),
    )
    if started.run is None:
        response.status_code = 200
        return RunStartedRead.of(started, run=None)
    response.headers["Location"] = f"{API}/incidents/{format_ref(incident_id)}/runbook-runs"
    [run] = [r for r in _runs(c.uow, incident_id=incident_id) if r.id == started.run.id]
    return RunStartedRead.of(started, run=run)


@router.get("/incidents/{ref}/runbook-runs", response_model=list[RunRead])
def list_runs(ref: str, request: Request, _who: Viewer) -> list[RunRead]:
    """The incident's runbook runs, oldest first, each with its step runs."""
    return _runs(container_of(request).uow, incident_id=parse_ref(ref))


@router.post("/runbook-steps/{step_run_id}/approve", response_model=StepRunRead)
def approve(
    step_run_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, who: Responder
) -> StepRunRead:
    """Let a waiting step go on: a commander approves, any responder confirms a manual step."""
    c = container_of(request)
    view = approve_step(
        c.uow,
        step_run_id=step_run_id,
        actor=who.name,
        is_commander=who.role.covers(AccessRole.COMMANDER),
        now=c.clock.now(),
    )
    return StepRunRead.of(view)


@router.post("/runbook-steps/{step_run_id}/skip", response_model=StepRunRead)
def skip(
    step_run_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, who: Commander
) -> StepRunRead:
    """Skip a step that waits for a person (a commander decides it is not needed)."""
    c = container_of(request)
    view = skip_step(
        c.uow,
        config=c.live_config.current(),
        step_run_id=step_run_id,
        actor=who.name,
        now=c.clock.now(),
    )
    return StepRunRead.of(view)


def _runs(uow: UnitOfWork, *, incident_id: int) -> list[RunRead]:
    """The incident's runs and their steps; NotFound if there is no such incident."""
    return [RunRead.of(r.run, r.steps) for r in incident_runs(uow, incident_id=incident_id)]
